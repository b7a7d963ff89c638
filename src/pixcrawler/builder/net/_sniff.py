"""Recognise image formats from their first bytes, whatever the Content-Type header claims."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)

#: Bytes needed to recognise every format we know.
SNIFF_BYTES = 16


def sniff_image_type(head: bytes) -> str | None:
    """Return the image MIME type the leading bytes prove, or ``None`` if they prove none."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in {b"avif", b"avis", b"heic", b"heix", b"mif1"}:
        return "image/avif" if head[8:11] == b"avi" else "image/heic"
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    return None


def robots_forbid_ai(header_values: list[str]) -> str | None:
    """Return the ``X-Robots-Tag`` directive that opts the image out of AI use, if any.

    Directives may be scoped to a user agent ("otherbot: noai"); we honour every scope, since
    an opt-out aimed at any AI crawler is meant for dataset builders like us.
    """
    for value in header_values:
        for directive in value.replace(":", ",").split(","):
            token = directive.strip().lower()
            if token in {"noai", "noimageai"}:
                return token
    return None
