"""Quality gates: measured sharpness, brightness, entropy, colour and aspect, with verdicts."""

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from pixcrawler.config import Settings

#: Longest side of the copy the pixel scores are measured on. Models train at a similar size, so
#: blur that vanishes at this scale is blur the model never sees; it also keeps ``measure`` fast.
WORKING_SIDE = 256

#: The order :func:`judge` checks the gates in; the first failure is the manifest reason.
GATE_ORDER = ("aspect", "dark", "light", "information", "blur", "grayscale")

_FloatArray = npt.NDArray[np.float32]
# 16-bit and float samples are scaled to 0-255 here: Pillow's own conversion to L clips them.
_WIDE_MODES = frozenset({"I", "F"})
_SIXTEEN_BIT_MAX = 65535.0
# Alpha goes before reducing: Pillow's reduce premultiplies it and runs three times slower.
_SIMPLER_MODE = {"RGBA": "RGB", "LA": "L", "1": "L"}


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """Where each gate rejects; a gate is off when its bound cannot be crossed (0, 255, inf).

    Defaults reject only the clearly unusable: sharp photos score 150-400 and a radius-4 blur
    under 20; normal exposures sit near 100-140 in brightness; photos carry 6-7 bits of entropy,
    flat frames under 0.1, and a product on white filling a fifth of the frame about 1.7.
    """

    min_sharpness: float = 30.0  # variance of the Laplacian on the working copy
    min_brightness: float = 20.0  # mean luminance, 0-255
    max_brightness: float = 240.0
    min_entropy: float = 1.5  # bits of the 256-bin grayscale histogram, 0-8
    grayscale_channel_diff: float = 2.0  # mean |R-G|, |G-B|, |B-R| below this is grayscale
    reject_grayscale: bool = False  # measured either way; many datasets want grayscale kept
    max_aspect_ratio: float = 3.0  # longer side over shorter side

    @classmethod
    def from_settings(cls, settings: Settings) -> "QualityThresholds":
        """Thresholds from ``PIXCRAWLER_MIN_SHARPNESS`` and friends."""
        return cls(
            min_sharpness=settings.min_sharpness,
            min_brightness=settings.min_brightness,
            max_brightness=settings.max_brightness,
            min_entropy=settings.min_entropy,
            grayscale_channel_diff=settings.grayscale_channel_diff,
            reject_grayscale=settings.reject_grayscale,
            max_aspect_ratio=settings.max_aspect_ratio,
        )


@dataclass(frozen=True, slots=True)
class QualityScores:
    """What :func:`measure` found; every field is a number a threshold is compared with."""

    sharpness: float
    brightness: float
    entropy: float
    channel_diff: float  # 0 for single-channel images
    aspect: float  # >= 1, from the full-size image

    def as_dict(self) -> dict[str, float]:
        """The scores rounded for a manifest row."""
        return {name: round(value, 3) for name, value in asdict(self).items()}


def measure(image: Image.Image) -> QualityScores:
    """Score ``image`` (any Pillow mode) on a copy shrunk to at most :data:`WORKING_SIDE`.

    Alpha is dropped, as a training loader's ``convert("RGB")`` does, so the scores describe
    the pixels a model would see.
    """
    gray, colour = _pixels(_shrunk(image), sixteen_bit=image.mode.startswith("I;16"))
    width, height = image.size
    return QualityScores(
        sharpness=_laplacian_variance(gray),
        brightness=float(gray.mean()),
        entropy=_entropy(gray),
        channel_diff=_channel_diff(colour),
        aspect=max(width, height) / max(1, min(width, height)),
    )


def judge(scores: QualityScores, thresholds: QualityThresholds) -> str | None:
    """The reason of the first failing gate in :data:`GATE_ORDER`, or None if all pass.

    The order puts the most specific explanation first: a black frame is also blurry and low in
    information, but "too dark" is what a reviewer needs to read.
    """
    return next(iter(failures(scores, thresholds)), None)


def failures(scores: QualityScores, thresholds: QualityThresholds) -> list[str]:
    """Every failing gate's manifest-ready reason, in :data:`GATE_ORDER`."""
    reasons = (gate(scores, thresholds) for gate in _GATES)
    return [reason for reason in reasons if reason is not None]


def _shrunk(image: Image.Image) -> Image.Image:
    """A box-reduced, alpha-free copy no longer than the working side."""
    if image.mode in ("P", "PA"):
        # Palette transparency goes through RGBA: Pillow warns about it on other routes.
        transparent = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    if image.mode.startswith("I;16"):
        image = image.convert("I")  # lossless; ``reduce`` refuses I;16
    elif image.mode in _SIMPLER_MODE:
        image = image.convert(_SIMPLER_MODE[image.mode])
    factor = math.ceil(max(image.size) / WORKING_SIDE)
    return image.reduce(factor) if factor > 1 else image


def _pixels(image: Image.Image, sixteen_bit: bool) -> tuple[_FloatArray, _FloatArray | None]:
    """Luminance (0-255) and, for colour images, the RGB planes, as float32 arrays.

    ``I`` and ``F`` samples are taken as 16-bit when the source was, or when any exceeds 255.
    """
    if image.mode in _WIDE_MODES:
        values = np.asarray(image, dtype=np.float32)
        if sixteen_bit or (values.size and values.max() > 255):
            values = values * np.float32(255 / _SIXTEEN_BIT_MAX)
        return np.clip(values, 0, 255), None
    if image.mode == "L":
        return np.asarray(image, dtype=np.float32), None
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return np.asarray(rgb.convert("L"), dtype=np.float32), np.asarray(rgb, dtype=np.float32)


def _laplacian_variance(gray: _FloatArray) -> float:
    """Variance of the 4-neighbour Laplacian: high where edges are crisp."""
    if min(gray.shape) < 3:
        return 0.0
    centre = gray[1:-1, 1:-1]
    laplacian = gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:] - 4 * centre
    return float(laplacian.var())


def _entropy(gray: _FloatArray) -> float:
    """Shannon entropy, in bits, of the 256-bin histogram of ``gray``."""
    levels = np.rint(gray).astype(np.uint8).ravel()
    counts = np.bincount(levels, minlength=256)
    probabilities = counts[counts > 0] / levels.size
    return float((probabilities * np.log2(1 / probabilities)).sum())


def _channel_diff(colour: _FloatArray | None) -> float:
    """Mean absolute difference between the RGB channels; 0 when there is one channel."""
    if colour is None:
        return 0.0
    red, green, blue = colour[..., 0], colour[..., 1], colour[..., 2]
    total = np.abs(red - green).mean() + np.abs(green - blue).mean() + np.abs(blue - red).mean()
    return float(total / 3)


def _down(value: float) -> str:
    """``value`` rounded down to one decimal, so a "below" reason never shows it at the bound."""
    return f"{math.floor(value * 10) / 10:.1f}"


def _up(value: float) -> str:
    """``value`` rounded up to one decimal, so an "above" reason never shows it at the bound."""
    return f"{math.ceil(value * 10) / 10:.1f}"


def _aspect_gate(scores: QualityScores, limits: QualityThresholds) -> str | None:
    if scores.aspect > limits.max_aspect_ratio:
        return f"odd aspect ratio {_up(scores.aspect)}:1"
    return None


def _dark_gate(scores: QualityScores, limits: QualityThresholds) -> str | None:
    if scores.brightness < limits.min_brightness:
        return f"too dark (brightness {_down(scores.brightness)} < {limits.min_brightness:g})"
    return None


def _light_gate(scores: QualityScores, limits: QualityThresholds) -> str | None:
    if scores.brightness > limits.max_brightness:
        return f"too light (brightness {_up(scores.brightness)} > {limits.max_brightness:g})"
    return None


def _information_gate(scores: QualityScores, limits: QualityThresholds) -> str | None:
    if scores.entropy < limits.min_entropy:
        return f"low information (entropy {_down(scores.entropy)} < {limits.min_entropy:g})"
    return None


def _blur_gate(scores: QualityScores, limits: QualityThresholds) -> str | None:
    if scores.sharpness < limits.min_sharpness:
        return f"blurry (sharpness {_down(scores.sharpness)} < {limits.min_sharpness:g})"
    return None


def _grayscale_gate(scores: QualityScores, limits: QualityThresholds) -> str | None:
    if limits.reject_grayscale and scores.channel_diff < limits.grayscale_channel_diff:
        return "grayscale"
    return None


_GATES: tuple[Callable[[QualityScores, QualityThresholds], str | None], ...] = (
    _aspect_gate,
    _dark_gate,
    _light_gate,
    _information_gate,
    _blur_gate,
    _grayscale_gate,
)
