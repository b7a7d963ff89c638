"""Full-decode integrity check of one image: size, format, bomb, truncation, resolution, pHash."""

import io
import warnings
from dataclasses import dataclass
from typing import Literal

import simplejpeg
from PIL import Image, UnidentifiedImageError

from pixcrawler.config import Settings
from pixcrawler.errors import ValidationError
from pixcrawler.records import ImageInfo
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.hashing import PictureHashes, hash_source, picture_hashes

logger = get_logger(__name__)

AnimatedPolicy = Literal["first_frame", "reject"]

#: File extension written for each accepted Pillow format; others fall back to ".<format>".
EXTENSION_BY_FORMAT = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "GIF": ".gif",
    "BMP": ".bmp",
    "TIFF": ".tiff",
}

_ORIENTATION_TAG = 0x0112
_TRANSPOSE_BY_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# libjpeg warnings that mean pixels are missing or invented. Pillow's decoder swallows every
# libjpeg warning and fills what it could not read with grey, so a JPEG cut in half (EOI
# appended), one with a zeroed stretch, or one whose header claims 9000x9000 over 256x256 of
# data all "decode". "extraneous bytes before marker" is padding that loses nothing: tolerated.
_JPEG_DAMAGE = ("premature end", "corrupt jpeg data", "bad huffman", "huffman table")
_JPEG_HARMLESS = "extraneous bytes"
# An eighth-scale decode still reads every entropy-coded byte (so it sees every warning) but
# skips most of the inverse DCT and allocates 1/64 of the pixels.
_JPEG_CHECK_SCALE = 8.0


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """The limits an image must meet to be kept; picklable, so it can cross process pools."""

    min_width: int
    min_height: int
    max_width: int
    max_height: int
    min_file_bytes: int
    max_file_bytes: int
    allowed_formats: tuple[str, ...]
    animated_policy: AnimatedPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> "ValidationRules":
        """Build the rules from the validation fields of ``settings``."""
        return cls(
            min_width=settings.min_width,
            min_height=settings.min_height,
            max_width=settings.max_width,
            max_height=settings.max_height,
            min_file_bytes=settings.min_file_bytes,
            max_file_bytes=settings.max_bytes,
            allowed_formats=tuple(settings.allowed_formats),
            animated_policy=settings.animated_policy,
        )


def inspect_image(data: bytes, rules: ValidationRules) -> ImageInfo:
    """Fully decode ``data`` and check it against ``rules``.

    Pillow's decompression-bomb limit stays in force and truncated files are refused, so a kept
    image is one every reader can open.

    Args:
        data: the whole file.
        rules: limits on bytes, format, animation and resolution.

    Returns:
        What the decode learned, with width and height after EXIF orientation and a 64-bit pHash.

    Raises:
        ValidationError: with a short manifest-ready reason ("too small 48x48", "not an image").
    """
    return decode_image(data, rules)[1]


def decode_image(data: bytes, rules: ValidationRules) -> tuple[Image.Image, ImageInfo]:
    """:func:`inspect_image`, also handing on the decoded picture so later checks decode nothing.

    The image is the loaded first frame, as stored (EXIF orientation not applied), detached from
    its file; its ``info`` keeps the raw ``exif`` bytes.

    Raises:
        ValidationError: exactly as :func:`inspect_image` does.
    """
    _check_file_size(len(data), rules)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1x and 2x its pixel limit; both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode_checked(data, rules)
    except (ValidationError, MemoryError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(f"decompression bomb (over {Image.MAX_IMAGE_PIXELS} pixels)") from exc
    except UnidentifiedImageError as exc:
        raise ValidationError("not an image") from exc
    except Exception as exc:
        # Decoders raise OSError, SyntaxError, ValueError, struct.error, ...: all mean bad bytes.
        logger.bind(error=repr(exc)).debug("image failed to decode")
        raise ValidationError("truncated or corrupt image") from exc


def _check_file_size(size: int, rules: ValidationRules) -> None:
    """Refuse bodies outside the byte bounds before spending a decode on them."""
    if size < rules.min_file_bytes:
        raise ValidationError(f"file too small {size} B")
    if size > rules.max_file_bytes:
        raise ValidationError(f"file too large {size} B")


def _decode_checked(data: bytes, rules: ValidationRules) -> tuple[Image.Image, ImageInfo]:
    """Open, check, decode and hash; Pillow errors propagate to :func:`decode_image`."""
    with Image.open(io.BytesIO(data)) as img:
        _check_pixel_limit(img)
        image_format = _normalised_format(img)
        if image_format not in rules.allowed_formats:
            raise ValidationError(f"format {image_format} not allowed")
        frames = _frame_count(img)
        if frames > 1 and rules.animated_policy == "reject":
            raise ValidationError(f"animated image ({frames} frames)")
        if image_format == "JPEG":
            _check_jpeg_stream(data)
        img.load()  # full decode of the first frame: raises on truncated data
        orientation = _orientation(img)
        width, height = img.size
        if orientation >= 5:  # 5-8 turn the picture by 90 degrees
            width, height = height, width
        _check_resolution(width, height, rules)
        hashes = _perceptual_hash(img, orientation)
        # Leaving the block only drops the file handle; the loaded pixels stay usable.
        return img, ImageInfo(
            width=width,
            height=height,
            format=image_format,
            mode=img.mode,
            frames=frames,
            phash=hashes.phash,
            fingerprint=hashes.fingerprint,
            extension=EXTENSION_BY_FORMAT.get(image_format, f".{image_format.lower()}"),
        )


def _check_jpeg_stream(data: bytes) -> None:
    """Refuse a JPEG whose entropy-coded data libjpeg reports as cut short or corrupt."""
    try:
        simplejpeg.decode_jpeg(data, colorspace="GRAY", min_factor=_JPEG_CHECK_SCALE, strict=True)
    except ValueError as exc:
        message = str(exc)
        lowered = message.lower()
        if _JPEG_HARMLESS not in lowered and any(sign in lowered for sign in _JPEG_DAMAGE):
            # One reason for every damaged file keeps the funnel's reason tallies together.
            logger.bind(error=message).debug("libjpeg reports damage")
            raise ValidationError("truncated or corrupt image") from exc
        # Anything else (an encoding simplejpeg lacks): Pillow's full decode is the judge.
        logger.bind(error=message).debug("jpeg stream check skipped")


def _check_pixel_limit(img: Image.Image) -> None:
    """Refuse what Pillow only warns about, even if another thread reset the warning filters."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and img.width * img.height > limit:
        raise ValidationError(f"decompression bomb (over {limit} pixels)")


def _normalised_format(img: Image.Image) -> str:
    """Pillow's format name, with camera MPO files (a JPEG plus previews) counted as JPEG."""
    image_format = img.format or "UNKNOWN"
    return "JPEG" if image_format == "MPO" else image_format


def _frame_count(img: Image.Image) -> int:
    """Number of animation frames; an MPO's extra pictures are previews, not animation."""
    if img.format == "MPO":
        return 1
    return int(getattr(img, "n_frames", 1))


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation (1-8), or 1 when absent or unreadable; bad EXIF is not bad pixels."""
    try:
        value = img.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _check_resolution(width: int, height: int, rules: ValidationRules) -> None:
    """Refuse images outside the pixel bounds; ``width`` and ``height`` are as displayed."""
    if width < rules.min_width or height < rules.min_height:
        raise ValidationError(f"too small {width}x{height}")
    if width > rules.max_width or height > rules.max_height:
        raise ValidationError(f"too large {width}x{height}")


def _perceptual_hash(img: Image.Image, orientation: int) -> PictureHashes:
    """The pHash and dedup fingerprint of the image as displayed (``validator.hashing``)."""
    try:
        gray = hash_source(img)
    except ValueError as exc:
        raise ValidationError(f"unsupported mode {img.mode}") from exc
    transpose = _TRANSPOSE_BY_ORIENTATION.get(orientation)
    if transpose is not None:
        gray = gray.transpose(transpose)
    return picture_hashes(gray)
