"""Re-encode dataset images to WebP or AVIF and point text files at the renamed images."""

import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from PIL import Image, ImageCms, ImageOps, features

from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._selection import Entry

RecompressFormat = Literal["webp", "avif"]
RECOMPRESS_FORMATS: tuple[RecompressFormat, ...] = ("webp", "avif")
#: Suffixes (lower case) of text files whose image paths are rewritten after renaming.
TEXT_SUFFIXES = frozenset({".jsonl", ".json", ".csv", ".yaml", ".yml", ".txt", ".md", ".html"})

_PIL_NAMES = {"webp": "WEBP", "avif": "AVIF"}
# What may surround a path in our text files: JSON/YAML/CSV/TSV punctuation, HTML, Markdown.
_DELIMITERS = "\\s\"'`,()<>\\[\\]{}=\\\\"
_PATH_TOKEN = re.compile(f"(?<![^{_DELIMITERS}])images/[^{_DELIMITERS}]+")
_UNSAFE_NAME = re.compile(f"[{_DELIMITERS}]")


def check_encoder(fmt: str) -> RecompressFormat:
    """Return ``fmt`` as a recompression format once its encoder is known to be available.

    Raises:
        PackagingError: an unknown format, or a Pillow built without that encoder.
    """
    for known in RECOMPRESS_FORMATS:
        if fmt == known:
            if not features.check(known):
                raise PackagingError(
                    f"{known.upper()} encoding is not available in this Pillow build"
                    + ("; AVIF needs Pillow >= 11.2" if known == "avif" else "")
                )
            return known
    raise PackagingError(f"unknown recompression format {fmt!r}; choose webp or avif")


def plan_renames(entries: Iterable[Entry], fmt: RecompressFormat) -> dict[str, str]:
    """Old -> new archive name of every image to re-encode (images already in ``fmt`` stay).

    Raises:
        PackagingError: two images would get the same new name, or a name has characters
            (spaces, quotes, commas, brackets) the text rewriting cannot find reliably.
    """
    names = {entry.name for entry in entries}
    renames: dict[str, str] = {}
    for name in sorted(names):
        path = PurePosixPath(name)
        if not name.startswith("images/") or path.suffix.lower() == f".{fmt}":
            continue
        if _UNSAFE_NAME.search(name):
            raise PackagingError(f"cannot recompress {name!r}: rename files with spaces or quotes")
        renames[name] = path.with_suffix(f".{fmt}").as_posix()
    _check_collisions(names, renames)
    return renames


def _check_collisions(names: set[str], renames: Mapping[str, str]) -> None:
    kept = names - renames.keys()
    seen: dict[str, str] = {}
    for old, new in renames.items():
        clash = seen.get(new) or (new if new in kept else None)
        if clash is not None:
            raise PackagingError(f"cannot recompress: {old} and {clash} would both become {new}")
        seen[new] = old


def reencode(path: Path, fmt: RecompressFormat, quality: int) -> bytes:
    """The image at ``path`` encoded as ``fmt``: EXIF orientation applied, alpha and ICC kept.

    Other EXIF data (camera, GPS) is dropped: the pixels are already upright and scraped
    images should not carry their uploaders' locations into a dataset.

    Raises:
        PackagingError: the file cannot be decoded (run ``pixcrawler validate`` on the folder).
    """
    try:
        with Image.open(path) as source:
            image = ImageOps.exif_transpose(source) or source
            icc = image.info.get("icc_profile") or None
            if image.mode == "CMYK":
                image, icc = _cmyk_to_srgb(image, icc), None
            has_alpha = image.has_transparency_data
            image = image.convert("RGBA" if has_alpha else "RGB")
            buffer = io.BytesIO()
            image.save(buffer, _PIL_NAMES[fmt], quality=quality, icc_profile=icc, exif=b"")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PackagingError(f"cannot re-encode {path}: {exc}") from exc
    return buffer.getvalue()


def _cmyk_to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through the embedded profile when there is one: a CMYK profile can't go to RGB."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError):
            pass
        else:
            if converted is not None:
                return converted
    return image.convert("RGB")


def rewrite_paths(source: Path, renames: Mapping[str, str], target: BinaryIO) -> None:
    """Copy the UTF-8 text file ``source`` to ``target`` line by line, renaming image paths."""

    def replace(match: re.Match[str]) -> str:
        return renames.get(match.group(0), match.group(0))

    with source.open(encoding="utf-8", newline="") as lines:
        for line in lines:
            target.write(_PATH_TOKEN.sub(replace, line).encode("utf-8"))
