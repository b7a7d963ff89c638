"""Validation levels: fast (integrity), medium (+ quality gates), slow (+ EXIF, wider dedup)."""

import struct
from dataclasses import dataclass, field, replace
from enum import StrEnum

from PIL import Image

from pixcrawler.config import Settings
from pixcrawler.errors import ValidationError
from pixcrawler.records import ImageInfo
from pixcrawler.validator.integrity import ValidationRules, decode_image
from pixcrawler.validator.quality import QualityThresholds, judge, measure

#: Hamming distance the slow level adds to the near-duplicate radius, and the radius it stops at.
SLOW_DEDUP_WIDENING = 4
SLOW_DEDUP_CAP = 16

_EXIF_PREFIX = b"Exif\x00\x00"
_TIFF_HEADERS = {b"II*\x00": "<", b"MM\x00*": ">"}
# Bytes per value of each TIFF field type; unknown types are skipped, as Pillow does.
_UNIT_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_SUB_IFD_TAGS = (0x8769, 0x8825, 0xA005)  # Exif, GPS and interoperability IFD pointers
_ORIENTATION, _MAKE, _MODEL = 0x0112, 0x010F, 0x0110
_MAX_IFDS = 8
_Entry = tuple[int, int, bytes]  # field type, value count, the 4-byte value-or-offset field


class ValidationLevel(StrEnum):
    """How hard to look at each image; every level includes the ones before it."""

    FAST = "fast"  # integrity, size, format and resolution: one decode
    MEDIUM = "medium"  # + measured quality gates
    SLOW = "slow"  # + EXIF must parse, near duplicates searched at a wider radius


@dataclass(frozen=True, slots=True)
class ValidationProfile:
    """Everything :func:`validate_image` needs; picklable, so it can cross process pools."""

    level: ValidationLevel
    rules: ValidationRules
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    @classmethod
    def from_settings(
        cls, settings: Settings, level: ValidationLevel | None = None
    ) -> "ValidationProfile":
        """The profile the settings describe; ``level`` overrides ``validation_level``."""
        return cls(
            level or ValidationLevel(settings.validation_level),
            ValidationRules.from_settings(settings),
            QualityThresholds.from_settings(settings),
        )


def validate_image(data: bytes, profile: ValidationProfile) -> ImageInfo:
    """Decode ``data`` once and run every check of ``profile.level`` on it.

    Returns:
        The integrity findings; at medium and slow ``quality`` holds the scores, and at slow
        also ``exif_present``, ``exif_orientation`` (0 if unset) and ``exif_camera`` (0 or 1).

    Raises:
        ValidationError: with the manifest reason of the first failed check.
    """
    image, info = decode_image(data, profile.rules)
    if profile.level is ValidationLevel.FAST:
        return info
    scores = measure(image)
    reason = judge(scores, profile.thresholds)
    if reason is not None:
        raise ValidationError(reason)
    quality = scores.as_dict()
    if profile.level is ValidationLevel.SLOW:
        quality |= exif_findings(image)
    return replace(info, quality=quality)


def dedup_threshold(level: ValidationLevel, base_threshold: int) -> int:
    """The near-duplicate radius for ``level``: the slow level looks a little wider."""
    if level is not ValidationLevel.SLOW:
        return base_threshold
    return max(base_threshold, min(base_threshold + SLOW_DEDUP_WIDENING, SLOW_DEDUP_CAP))


def exif_findings(image: Image.Image) -> dict[str, float]:
    """What the image's embedded EXIF block says, checked offset by offset.

    Reads the raw block itself rather than through Pillow, which warns instead of raising on
    damage; TIFF files carry no separate block, and their tags were read by the decode.

    Raises:
        ValidationError: "corrupt EXIF" when a header, directory or value lies outside the block.
    """
    raw = image.info.get("exif")
    if not isinstance(raw, bytes) or not raw.removeprefix(_EXIF_PREFIX):
        return {"exif_present": 0.0}
    try:
        tiff, endian, first = _tiff_block(raw)
        tags = _walk(tiff, endian, first)
    except (ValueError, struct.error) as exc:
        raise ValidationError("corrupt EXIF") from exc
    camera = any(_text(tiff, endian, tags[tag]) for tag in (_MAKE, _MODEL) if tag in tags)
    return {
        "exif_present": 1.0,
        "exif_orientation": float(_orientation(endian, tags.get(_ORIENTATION))),
        "exif_camera": float(camera),
    }


def _tiff_block(raw: bytes) -> tuple[bytes, str, int]:
    """The TIFF structure inside an EXIF block, its byte order and first directory offset."""
    tiff = raw
    while tiff.startswith(_EXIF_PREFIX):  # some writers repeat the prefix
        tiff = tiff[len(_EXIF_PREFIX) :]
    endian = _TIFF_HEADERS.get(tiff[:4])
    if endian is None:
        raise ValueError("no TIFF header")
    (first,) = struct.unpack_from(endian + "L", tiff, 4)
    return tiff, endian, first


def _walk(tiff: bytes, endian: str, first: int) -> dict[int, _Entry]:
    """Check every directory reachable from the first; return the first one's entries."""
    pending: list[int] = [first]
    visited: list[dict[int, _Entry]] = []
    seen: set[int] = set()
    while pending:
        offset = pending.pop()
        if offset in seen:
            continue
        if len(seen) == _MAX_IFDS:
            raise ValueError("too many directories")
        seen.add(offset)
        entries, next_offset = _directory(tiff, endian, offset)
        visited.append(entries)
        pending += [_offset(endian, entries[tag]) for tag in _SUB_IFD_TAGS if tag in entries]
        pending += [next_offset] if next_offset else []
    return visited[0]


def _directory(tiff: bytes, endian: str, offset: int) -> tuple[dict[int, _Entry], int]:
    """One directory's entries and the offset of the next directory (0 for none)."""
    if offset < 8 or offset + 2 > len(tiff):
        raise ValueError(f"directory at {offset} outside the block")
    (count,) = struct.unpack_from(endian + "H", tiff, offset)
    end = offset + 2 + 12 * count
    if end > len(tiff):
        raise ValueError(f"directory at {offset} truncated")
    entries: dict[int, _Entry] = {}
    for position in range(offset + 2, end, 12):
        tag, kind, values = struct.unpack_from(endian + "HHL", tiff, position)
        entries[tag] = (kind, values, tiff[position + 8 : position + 12])
        if len(_value(tiff, endian, entries[tag])) != values * _UNIT_SIZES.get(kind, 0):
            raise ValueError(f"tag {tag:#06x} value outside the block")
    # The last directory may end the block without a next pointer; that loses nothing.
    next_offset = struct.unpack_from(endian + "L", tiff, end)[0] if end + 4 <= len(tiff) else 0
    return entries, next_offset


def _value(tiff: bytes, endian: str, entry: _Entry) -> bytes:
    """The bytes of an entry's value: inline up to four bytes, else at its offset."""
    kind, values, inline = entry
    size = values * _UNIT_SIZES.get(kind, 0)
    if size <= 4:
        return inline[:size]
    start = _offset(endian, entry)
    return tiff[start : start + size]


def _offset(endian: str, entry: _Entry) -> int:
    """An entry's value field read as a 32-bit offset."""
    return int(struct.unpack(endian + "L", entry[2])[0])


def _orientation(endian: str, entry: _Entry | None) -> int:
    """The orientation tag's value, or 0 when it is absent or not a single SHORT."""
    if entry is None or entry[:2] != (3, 1):
        return 0
    return int(struct.unpack(endian + "H", entry[2][:2])[0])


def _text(tiff: bytes, endian: str, entry: _Entry) -> str:
    """An ASCII entry's text without padding."""
    return _value(tiff, endian, entry).decode("latin-1").strip("\x00 ")
