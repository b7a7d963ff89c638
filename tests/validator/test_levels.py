"""Validation levels: fast, medium and slow differ in behaviour on the same bytes."""

import pickle
import struct
from collections.abc import Callable
from dataclasses import replace

import pytest
from PIL import Image, ImageFilter

from pixcrawler.errors import ValidationError
from pixcrawler.records import ImageInfo
from pixcrawler.validator.integrity import ValidationRules, inspect_image
from pixcrawler.validator.levels import (
    ValidationLevel,
    ValidationProfile,
    dedup_threshold,
    validate_image,
)
from pixcrawler.validator.quality import QualityThresholds

FAST, MEDIUM, SLOW = ValidationLevel.FAST, ValidationLevel.MEDIUM, ValidationLevel.SLOW
EXIF_PREFIX = b"Exif\x00\x00"
SCORE_KEYS = {"sharpness", "brightness", "entropy", "channel_diff", "aspect"}
MAKE, MODEL, ORIENTATION, EXIF_IFD = 0x010F, 0x0110, 0x0112, 0x8769
ASCII, SHORT, LONG = 2, 3, 4


@pytest.fixture
def validate(rules: ValidationRules) -> Callable[[bytes, ValidationLevel], ImageInfo]:
    """``validate(data, level)``: validate_image under the default rules and thresholds."""
    return lambda data, level: validate_image(data, ValidationProfile(level, rules))


def rejection(data: bytes, profile: ValidationProfile) -> str:
    """The reason ``validate_image`` refuses ``data`` with."""
    with pytest.raises(ValidationError) as caught:
        validate_image(data, profile)
    return caught.value.reason


@pytest.fixture
def sharp_jpeg(picture, encoded) -> Callable[..., bytes]:
    """``sharp_jpeg(seed, **save_options)``: a picture that passes every quality gate."""
    return lambda seed, **options: encoded(picture(seed), "JPEG", quality=95, **options)


def tiff_directory(entries: list[tuple[int, int, int, bytes]], first: int = 8) -> bytes:
    """A little-endian EXIF block: a TIFF header, then one directory of raw entries."""
    fields = b"".join(struct.pack("<HHL", *entry[:3]) + entry[3] for entry in entries)
    body = struct.pack("<H", len(entries)) + fields + struct.pack("<L", 0)
    return EXIF_PREFIX + b"II*\x00" + struct.pack("<L", first) + body


def test_fast_is_inspect_image(rules, validate, sharp_jpeg):
    data = sharp_jpeg(1)

    info = validate(data, FAST)

    assert info == inspect_image(data, rules)
    assert info.quality is None


def test_a_blurry_image_passes_fast_and_fails_medium(rules, validate, picture, encoded):
    data = encoded(picture(2).filter(ImageFilter.GaussianBlur(4)), "PNG")

    assert validate(data, FAST).quality is None
    assert rejection(data, ValidationProfile(MEDIUM, rules)).startswith("blurry (sharpness ")
    assert rejection(data, ValidationProfile(SLOW, rules)).startswith("blurry (sharpness ")


def test_medium_records_the_scores(validate, sharp_jpeg):
    quality = validate(sharp_jpeg(3), MEDIUM).quality

    assert set(quality) == SCORE_KEYS
    assert quality["sharpness"] > QualityThresholds().min_sharpness


def test_medium_uses_the_profiles_thresholds(rules, picture, encoded):
    data = encoded(picture(4).filter(ImageFilter.GaussianBlur(4)), "PNG")
    lenient = ValidationProfile(MEDIUM, rules, QualityThresholds(min_sharpness=0))

    assert validate_image(data, lenient).quality is not None


@pytest.mark.parametrize("level", list(ValidationLevel))
def test_integrity_failures_come_first_at_every_level(rules, picture, encoded, level):
    data = encoded(picture(5, (48, 48)), "PNG")

    assert rejection(data, ValidationProfile(level, replace(rules, min_file_bytes=0))) == (
        "too small 48x48"
    )


CORRUPT_EXIF = {
    "no TIFF header": EXIF_PREFIX + b"this is not a TIFF header at all",
    "directory outside the block": tiff_directory([], first=4000),
    "truncated directory": EXIF_PREFIX + b"II*\x00" + struct.pack("<LH", 8, 20) + bytes(16),
    "value outside the block": tiff_directory([(MAKE, ASCII, 40, struct.pack("<L", 5000))]),
    "sub-directory outside the block": tiff_directory(
        [(EXIF_IFD, LONG, 1, struct.pack("<L", 9999))]
    ),
}


@pytest.mark.parametrize("exif", CORRUPT_EXIF.values(), ids=CORRUPT_EXIF.keys())
def test_corrupt_exif_passes_medium_and_fails_slow(rules, validate, sharp_jpeg, exif):
    # A JFIF density stops Pillow parsing (and warning about) the EXIF while it opens the file.
    data = sharp_jpeg(6, exif=exif, dpi=(72, 72))

    assert set(validate(data, MEDIUM).quality) == SCORE_KEYS
    assert rejection(data, ValidationProfile(SLOW, rules)) == "corrupt EXIF"


def test_quality_gates_are_judged_before_exif(rules, picture, encoded):
    blurry = picture(7).filter(ImageFilter.GaussianBlur(4))
    data = encoded(blurry, "JPEG", exif=CORRUPT_EXIF["no TIFF header"])

    assert rejection(data, ValidationProfile(SLOW, rules)).startswith("blurry")


def test_slow_records_camera_and_orientation(validate, sharp_jpeg):
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Canon", "EOS 5D", 6
    exif.get_ifd(EXIF_IFD)[0x9003] = "2024:05:01 12:00:00"  # DateTimeOriginal, a sub-directory

    info = validate(sharp_jpeg(8, exif=exif), SLOW)

    assert info.quality.keys() == SCORE_KEYS | {"exif_present", "exif_orientation", "exif_camera"}
    assert (info.quality["exif_orientation"], info.quality["exif_camera"]) == (6.0, 1.0)


def test_slow_without_a_camera(validate, sharp_jpeg):
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    exif[MAKE] = ""

    quality = validate(sharp_jpeg(9, exif=exif), SLOW).quality

    assert (quality["exif_present"], quality["exif_orientation"], quality["exif_camera"]) == (
        1.0, 1.0, 0.0,
    )  # fmt: skip


def test_slow_keeps_images_without_exif(validate, sharp_jpeg, picture, encoded):
    for data in (sharp_jpeg(10), encoded(picture(10), "PNG")):
        quality = validate(data, SLOW).quality

        assert quality["exif_present"] == 0.0
        assert "exif_camera" not in quality


def test_slow_reads_a_big_endian_block(validate, sharp_jpeg):
    entry = struct.pack(">HHLHH", ORIENTATION, SHORT, 1, 8, 0)
    exif = EXIF_PREFIX + b"MM\x00*" + struct.pack(">LH", 8, 1) + entry + struct.pack(">L", 0)

    assert validate(sharp_jpeg(11, exif=exif, dpi=(72, 72)), SLOW).quality["exif_orientation"] == 8


@pytest.mark.parametrize(
    ("level", "base", "expected"),
    [
        (FAST, 6, 6), (MEDIUM, 6, 6), (SLOW, 6, 10),
        (SLOW, 0, 4), (SLOW, 14, 16), (SLOW, 20, 20), (MEDIUM, 20, 20),
    ],
)  # fmt: skip
def test_dedup_threshold_widens_only_at_slow(level, base, expected):
    assert dedup_threshold(level, base) == expected


def test_levels_parse_from_settings_strings():
    assert [ValidationLevel(name) for name in ("fast", "medium", "slow")] == [FAST, MEDIUM, SLOW]


def test_profile_and_function_cross_process_boundaries(rules):
    profile = ValidationProfile(SLOW, rules, QualityThresholds(reject_grayscale=True))

    assert pickle.loads(pickle.dumps(profile)) == profile
    assert pickle.loads(pickle.dumps(validate_image)) is validate_image
    assert ValidationProfile(FAST, rules).thresholds == QualityThresholds()
