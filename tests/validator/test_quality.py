"""Quality gates: each measured score, its threshold, the reason text and the fixed gate order."""

import functools
import pickle

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from pixcrawler.validator.quality import (
    GATE_ORDER,
    QualityScores,
    QualityThresholds,
    failures,
    judge,
    measure,
)

DEFAULTS = QualityThresholds()
SIZES = [(320, 240), (1024, 768)]


@functools.cache
def photo(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A photo-like seeded render: a colour gradient, crisp-edged shapes and sensor noise.

    Cached, so tests must derive new images from it rather than change it in place.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    rows, columns = np.mgrid[0:height, 0:width]
    planes = [
        columns / width * rng.uniform(60, 200) + rows / height * rng.uniform(0, 50) + 20
        for _ in range(3)
    ]
    picture = Image.fromarray(np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(14):
        left, top = rng.integers(0, width), rng.integers(0, height)
        box = (left, top, left + rng.integers(width // 12, width // 3), top + height // 5)
        colour = tuple(int(value) for value in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    noisy = np.asarray(picture) + rng.normal(0, 3, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def reason(image: Image.Image, **thresholds: float) -> str | None:
    """The verdict on ``image`` under the defaults changed by ``thresholds``."""
    return judge(measure(image), QualityThresholds(**thresholds))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sharp_photo_passes_every_gate(seed, size):
    scores = measure(photo(seed, size))

    assert judge(scores, DEFAULTS) is None
    assert scores.sharpness > 4 * DEFAULTS.min_sharpness
    assert 6 < scores.entropy <= 8


@pytest.mark.parametrize("size", SIZES)
def test_gaussian_blur_is_blurry(size):
    blurred = photo(3, size).filter(ImageFilter.GaussianBlur(4))

    verdict = reason(blurred)

    assert verdict is not None
    assert verdict.startswith("blurry (sharpness ")
    assert verdict.endswith(" < 30)")
    assert measure(blurred).sharpness < DEFAULTS.min_sharpness * 0.7


def test_blur_threshold_is_tunable():
    blurred = photo(4).filter(ImageFilter.GaussianBlur(4))

    assert reason(blurred, min_sharpness=0) is None
    assert reason(photo(4), min_sharpness=1e6) is not None


@pytest.mark.parametrize(
    ("colour", "expected"),
    [(0, "too dark (brightness 0.0 < 20)"), (255, "too light (brightness 255.0 > 240)")],
)
def test_black_and_white_frames_fail_brightness(colour, expected):
    assert reason(Image.new("RGB", (320, 240), (colour,) * 3)) == expected


def test_dim_and_washed_out_photos_fail_brightness():
    dim = photo(5).point(lambda value: value * 0.12)
    washed_out = photo(5).point(lambda value: 255 - (255 - value) * 0.06)

    assert (reason(dim) or "").startswith("too dark (brightness 1")
    assert (reason(washed_out) or "").startswith("too light (brightness 24")


def test_brightness_thresholds_are_tunable():
    assert reason(photo(6), min_brightness=250) is not None
    assert reason(photo(6), max_brightness=10) is not None
    black = Image.new("RGB", (320, 240))
    assert not (reason(black, min_brightness=0) or "").startswith("too dark")


def test_flat_colour_is_low_information():
    flat = Image.new("RGB", (320, 240), (200, 30, 30))

    assert reason(flat) == "low information (entropy 0.0 < 1.5)"
    assert reason(flat, min_entropy=0) == "blurry (sharpness 0.0 < 30)"


def test_entropy_threshold_is_tunable():
    assert reason(photo(7), min_entropy=8.5) == (
        f"low information (entropy {int(measure(photo(7)).entropy * 10) / 10:.1f} < 8.5)"
    )


def test_grayscale_is_measured_but_kept_by_default():
    gray = photo(8).convert("L").convert("RGB")

    assert measure(gray).channel_diff < 0.5
    assert measure(photo(8)).channel_diff > 10 * DEFAULTS.grayscale_channel_diff
    assert reason(gray) is None


@pytest.mark.parametrize("mode", ["RGB", "L", "LA"])
def test_grayscale_gate_rejects_when_enabled(mode):
    gray = photo(9).convert("L").convert(mode)

    assert reason(gray, reject_grayscale=True) == "grayscale"
    assert reason(photo(9), reject_grayscale=True) is None


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1000, 100), "odd aspect ratio 10.0:1"), ((100, 420), "odd aspect ratio 4.2:1")],
)
def test_odd_aspect_ratio(size, expected):
    assert reason(photo(10, size)) == expected
    assert reason(photo(10, size), max_aspect_ratio=20) is None


def test_gates_run_in_the_documented_order():
    scores = QualityScores(sharpness=1, brightness=60, entropy=0.5, channel_diff=0, aspect=5)
    everything_fails = QualityThresholds(
        min_brightness=100, max_brightness=50, reject_grayscale=True
    )

    reasons = failures(scores, everything_fails)

    assert [text.split(" ")[0] for text in reasons] == [
        "odd", "too", "too", "low", "blurry", "grayscale",
    ]  # fmt: skip
    assert reasons == [
        "odd aspect ratio 5.0:1",
        "too dark (brightness 60.0 < 100)",
        "too light (brightness 60.0 > 50)",
        "low information (entropy 0.5 < 1.5)",
        "blurry (sharpness 1.0 < 30)",
        "grayscale",
    ]
    assert len(GATE_ORDER) == len(reasons)
    assert judge(scores, everything_fails) == reasons[0]


def test_a_black_banner_is_explained_by_its_shape_then_its_darkness():
    banner = Image.new("RGB", (1000, 100))

    assert failures(measure(banner), DEFAULTS) == [
        "odd aspect ratio 10.0:1",
        "too dark (brightness 0.0 < 20)",
        "low information (entropy 0.0 < 1.5)",
        "blurry (sharpness 0.0 < 30)",
    ]


@pytest.mark.parametrize(
    ("brightness", "expected"),
    [(19.96, "too dark (brightness 19.9 < 20)"), (240.01, "too light (brightness 240.1 > 240)")],
)
def test_reasons_never_show_a_score_equal_to_its_bound(brightness, expected):
    scores = QualityScores(
        sharpness=500, brightness=brightness, entropy=7, channel_diff=9, aspect=1
    )

    assert judge(scores, DEFAULTS) == expected


def sixteen_bit(picture: Image.Image) -> Image.Image:
    """``picture`` as 16-bit grayscale, spanning the full 0-65535 range."""
    wide = np.asarray(picture.convert("L"), dtype="<u2") * 257
    return Image.frombytes("I;16", picture.size, wide.tobytes())


@pytest.mark.parametrize(
    ("mode", "colour"),
    [
        ("RGBA", True), ("CMYK", True), ("P", True), ("YCbCr", True),
        ("L", False), ("LA", False), ("1", False), ("I;16", False), ("I", False), ("F", False),
    ],
)  # fmt: skip
def test_measures_every_common_mode(mode, colour):
    original = photo(11, (1024, 768))
    if mode == "I;16":
        converted = sixteen_bit(original)
    elif mode in ("I", "F"):
        converted = sixteen_bit(original).convert(mode)
    else:
        converted = original.convert(mode)

    scores, reference = measure(converted), measure(original)

    assert abs(scores.brightness - reference.brightness) < 3
    assert scores.entropy > 3 and scores.sharpness > DEFAULTS.min_sharpness
    assert (scores.channel_diff > 10) is colour


def test_sixteen_bit_is_scaled_not_clipped():
    picture = photo(12)

    scores = measure(sixteen_bit(picture))

    assert scores.brightness == pytest.approx(measure(picture.convert("L")).brightness, abs=0.5)
    assert scores.entropy == pytest.approx(measure(picture.convert("L")).entropy, abs=0.1)


def test_a_dark_sixteen_bit_image_is_dark():
    samples = (np.arange(320 * 240) % 256).astype("<u2")  # all at most 255 of 65535
    dark = Image.frombytes("I;16", (320, 240), samples.tobytes())

    assert (reason(dark) or "").startswith("too dark (brightness 0.")


def test_alpha_is_dropped_like_a_training_loader_does():
    opaque = photo(13)
    invisible = opaque.copy()
    invisible.putalpha(0)

    assert measure(invisible) == measure(opaque)


def test_palette_with_byte_transparency_measures_without_warnings():
    palette = photo(14).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = bytes([0] + [255] * 15)

    assert measure(palette).entropy > 2  # warnings are errors under pytest


def test_tiny_images_have_no_sharpness():
    assert measure(Image.new("RGB", (2, 2), "red")).sharpness == 0.0


def test_scores_round_for_the_manifest():
    values = measure(photo(15)).as_dict()

    assert list(values) == ["sharpness", "brightness", "entropy", "channel_diff", "aspect"]
    assert values["aspect"] == 1.333


def test_thresholds_cross_process_boundaries():
    thresholds = QualityThresholds(min_sharpness=12.5, reject_grayscale=True)

    assert pickle.loads(pickle.dumps(thresholds)) == thresholds
