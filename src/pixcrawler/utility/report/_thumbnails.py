"""Small JPEG thumbnails as ``data:`` URIs, made in a thread pool; unreadable files give None."""

import base64
import io
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

THUMB_PIXELS = 96
_QUALITY = 72
# What a damaged, truncated, hostile or vanished file raises while Pillow opens or decodes it.
_UNREADABLE = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def thumbnails(
    root: Path, file_names: Iterable[str], *, size: int = THUMB_PIXELS, workers: int = 8
) -> dict[str, str | None]:
    """Map each ``file_name`` (relative to ``root``) to a ``data:image/jpeg`` URI, or ``None``.

    Pillow releases the GIL while decoding, so threads help; ``draft`` lets JPEGs decode at a
    reduced scale, which is most of the saving for large photos.
    """
    names = list(dict.fromkeys(file_names))
    base = root.resolve()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        uris = pool.map(lambda name: thumbnail_uri(base, name, size), names)
        result = dict(zip(names, uris, strict=True))
    failed = sum(uri is None for uri in result.values())
    logger.bind(thumbnails=len(result), unreadable=failed).debug("thumbnails made")
    return result


def thumbnail_uri(root: Path, file_name: str, size: int) -> str | None:
    """One thumbnail as a ``data:`` URI; ``None`` if the file is unreadable or outside ``root``."""
    path = (root / file_name).resolve()
    if not path.is_relative_to(root):
        return None  # never embed a file the dataset does not own
    try:
        with Image.open(path) as image:
            image.draft("RGB", (size, size))
            image.thumbnail((size, size))
            encoded = _jpeg_bytes(image)
    except _UNREADABLE:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(encoded).decode("ascii")


def _jpeg_bytes(image: Image.Image) -> bytes:
    if image.mode in {"RGBA", "LA", "P"}:
        # Transparent areas become white, as most viewers show them, rather than black.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=_QUALITY, optimize=True)
    return buffer.getvalue()
