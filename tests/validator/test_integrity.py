"""inspect_image: every rejection reason, EXIF orientation, animation policy and pHash behaviour."""

import io
import pickle
import warnings
from contextlib import nullcontext
from dataclasses import replace
from types import SimpleNamespace

import pytest
from PIL import Image, ImageFile

from pixcrawler.config import Settings
from pixcrawler.errors import PermanentError, ValidationError
from pixcrawler.validator import integrity
from pixcrawler.validator.dedup import hamming
from pixcrawler.validator.integrity import ValidationRules, inspect_image

ORIENTATION_TAG = 0x0112


def rejection(data: bytes, rules: ValidationRules) -> ValidationError:
    """The ValidationError ``inspect_image`` raises for ``data``."""
    with pytest.raises(ValidationError) as caught:
        inspect_image(data, rules)
    return caught.value


def test_accepts_a_jpeg_and_describes_it(rules, picture, encoded):
    info = inspect_image(encoded(picture(1, (320, 200)), "JPEG", quality=90), rules)

    assert (info.width, info.height) == (320, 200)
    assert (info.format, info.mode, info.frames, info.extension) == ("JPEG", "RGB", 1, ".jpg")
    assert 0 <= info.phash < 2**64


@pytest.mark.parametrize(
    ("image_format", "extension"),
    [("PNG", ".png"), ("WEBP", ".webp"), ("GIF", ".gif"), ("BMP", ".bmp"), ("TIFF", ".tiff")],
)
def test_extension_follows_format(rules, picture, encoded, image_format, extension):
    info = inspect_image(encoded(picture(2), image_format), rules)

    assert (info.format, info.extension) == (image_format, extension)


def test_camera_mpo_counts_as_a_single_frame_jpeg(rules, picture, encoded):
    data = encoded(picture(3), "MPO", save_all=True, append_images=[picture(4)])

    info = inspect_image(data, rules)

    assert (info.format, info.extension, info.frames) == ("JPEG", ".jpg", 1)


def test_file_too_small(rules):
    error = rejection(b"\xff\xd8" + bytes(510), rules)

    assert error.reason == "file too small 512 B"
    assert isinstance(error, PermanentError)


def test_file_too_large(rules, picture, encoded):
    data = encoded(picture(5), "PNG")

    error = rejection(data, replace(rules, max_file_bytes=len(data) - 1))

    assert error.reason == f"file too large {len(data)} B"


def test_html_is_not_an_image(rules):
    page = b"<!doctype html><html><body>" + b"<p>Access denied</p>" * 100 + b"</body></html>"

    assert rejection(page, rules).reason == "not an image"


def test_disallowed_format(rules, picture, encoded):
    error = rejection(encoded(picture(6), "PNG"), replace(rules, allowed_formats=("JPEG",)))

    assert error.reason == "format PNG not allowed"


def test_truncated_jpeg_is_rejected_after_a_full_decode(rules, picture, encoded):
    data = encoded(picture(7), "JPEG", quality=90)

    error = rejection(data[: len(data) * 6 // 10], rules)

    assert error.reason == "truncated or corrupt image"
    assert isinstance(error.__cause__, OSError | ValueError)  # Pillow or the libjpeg check
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_corrupt_png_data_is_rejected(rules, picture, encoded):
    data = bytearray(encoded(picture(8), "PNG"))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)

    assert rejection(bytes(data), rules).reason == "truncated or corrupt image"


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        ((48, 48), "too small 48x48"),
        ((200, 40), "too small 200x40"),
        ((20000, 100), "too large 20000x100"),
    ],
)
def test_resolution_bounds(rules, encoded, size, reason):
    data = encoded(Image.linear_gradient("L").resize(size), "PNG")

    assert rejection(data, replace(rules, min_file_bytes=0)).reason == reason


@pytest.fixture
def png_64x64(picture, encoded):
    return encoded(picture(9, (64, 64)), "PNG")


@pytest.mark.parametrize(
    ("limit", "pillow_signal"),
    [(1000, Image.DecompressionBombError), (3000, Image.DecompressionBombWarning)],
    ids=["bomb-error", "bomb-warning"],
)
def test_decompression_bomb(rules, png_64x64, monkeypatch, limit, pillow_signal):
    # 64x64 = 4096 pixels: above 2x1000 Pillow raises, between 3000 and 6000 it only warns.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)

    error = rejection(png_64x64, rules)

    assert error.reason == f"decompression bomb (over {limit} pixels)"
    assert type(error.__cause__) is pillow_signal


def test_bomb_is_refused_even_if_the_warning_filter_is_lost(rules, png_64x64, monkeypatch):
    # Warning filters are process-global; a thread may restore them under us.
    lost_filters = SimpleNamespace(catch_warnings=nullcontext, simplefilter=lambda *_: None)
    monkeypatch.setattr(integrity, "warnings", lost_filters)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        error = rejection(png_64x64, rules)

    assert error.reason == "decompression bomb (over 3000 pixels)"


def test_bomb_check_leaves_global_state_alone(rules, picture, encoded):
    pixel_limit, filters = Image.MAX_IMAGE_PIXELS, list(warnings.filters)

    inspect_image(encoded(picture(10), "JPEG"), rules)

    assert pixel_limit == Image.MAX_IMAGE_PIXELS
    assert warnings.filters == filters


@pytest.fixture
def animated_gif(picture, encoded):
    frames = [picture(seed, (128, 128)) for seed in (11, 12, 13)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def test_animated_first_frame_policy_keeps_it(rules, animated_gif):
    info = inspect_image(animated_gif, rules)

    assert (info.format, info.frames, info.width, info.height) == ("GIF", 3, 128, 128)


def test_animated_reject_policy(rules, animated_gif):
    error = rejection(animated_gif, replace(rules, animated_policy="reject"))

    assert error.reason == "animated image (3 frames)"


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_exif_rotation_swaps_reported_dimensions(rules, picture, encoded, orientation):
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation

    info = inspect_image(encoded(picture(14, (300, 150)), "JPEG", exif=exif), rules)

    assert (info.width, info.height) == (150, 300)


def test_exif_rotation_is_applied_before_hashing(rules, picture, encoded):
    upright = picture(15, (300, 150))
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6  # "rotate 90 clockwise to display"
    tagged = encoded(upright, "JPEG", quality=95, exif=exif)
    displayed = encoded(upright.transpose(Image.Transpose.ROTATE_270), "JPEG", quality=95)

    assert hamming(inspect_image(tagged, rules).phash, inspect_image(displayed, rules).phash) <= 4


def test_too_small_is_judged_after_orientation(rules, picture, encoded):
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 8

    error = rejection(encoded(picture(16, (200, 60)), "JPEG", exif=exif), rules)

    assert error.reason == "too small 60x200"


def test_phash_survives_reencoding_and_resizing(rules, picture, encoded):
    original = picture(17, (512, 512))
    hashes = [
        inspect_image(data, rules).phash
        for data in (
            encoded(original, "PNG"),
            encoded(original, "JPEG", quality=60),
            encoded(original.resize((256, 256)), "WEBP", quality=80),
            encoded(original.resize((2000, 2000)), "JPEG", quality=90),
        )
    ]

    assert max(hamming(hashes[0], other) for other in hashes[1:]) <= 4


def test_phash_separates_different_pictures(rules, picture, encoded):
    first, second = (inspect_image(encoded(picture(seed), "PNG"), rules) for seed in (18, 19))

    assert hamming(first.phash, second.phash) >= 16


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "CMYK", "1", "I;16"])
def test_hashes_every_common_mode(rules, picture, encoded, mode):
    image_format = "TIFF" if mode == "CMYK" else "PNG"

    info = inspect_image(encoded(picture(20).convert(mode), image_format), rules)

    assert 0 <= info.phash < 2**64


def test_palette_with_transparency_hashes_without_warnings(rules, picture, encoded):
    palette = picture(21).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = bytes([0] + [255] * 15)

    info = inspect_image(encoded(palette, "PNG"), rules)  # warnings are errors under pytest

    assert info.mode == "P"


def test_rules_from_settings_use_max_bytes():
    settings = Settings(max_bytes=4096, min_width=10, animated_policy="reject")

    rules = ValidationRules.from_settings(settings)

    assert (rules.max_file_bytes, rules.min_width, rules.animated_policy) == (4096, 10, "reject")
    assert rules.allowed_formats == settings.allowed_formats


def test_rules_and_function_cross_process_boundaries(rules):
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert pickle.loads(pickle.dumps(inspect_image)) is inspect_image


def _corrupt_jpegs(good: bytes) -> dict[str, bytes]:
    start = good.index(b"\xff\xda")  # the scan: entropy-coded data follows
    third = (len(good) - start) // 3
    zeroed = good[: start + third] + bytes(third) + good[start + 2 * third :]
    sof = good.index(b"\xff\xc0")
    claims_9000 = bytearray(good)
    claims_9000[sof + 5 : sof + 9] = (9000).to_bytes(2, "big") * 2
    return {
        "cut at 50% with EOI": good[: len(good) // 2] + b"\xff\xd9",
        "zeroed middle third": zeroed,
        "SOF claims 9000x9000": bytes(claims_9000),
    }


@pytest.mark.parametrize(
    "name", ["cut at 50% with EOI", "zeroed middle third", "SOF claims 9000x9000"]
)
def test_corrupt_jpegs_pillow_would_keep_are_rejected(rules, picture, encoded, name):
    data = _corrupt_jpegs(encoded(picture(11), "JPEG", quality=90))[name]
    with Image.open(io.BytesIO(data)) as pillow_alone:
        pillow_alone.load()  # what made these slip through: Pillow decodes them without a word
    error = rejection(data, rules)
    assert error.reason == "truncated or corrupt image"
    assert "Corrupt JPEG data" in str(error.__cause__)  # libjpeg's own warning, surfaced


def test_jpegs_with_harmless_quirks_are_kept(rules, picture, encoded):
    image = picture(12)
    for data in (
        encoded(image, "JPEG", progressive=True),
        encoded(image.convert("CMYK"), "JPEG"),
        encoded(image.convert("L"), "JPEG"),
        encoded(image, "JPEG") + b"\x00" * 64,  # padding after EOI
    ):
        assert inspect_image(data, rules).format == "JPEG"
