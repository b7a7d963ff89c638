"""Fixtures for validator tests: seeded pictures encoded in memory, and realistic rules."""

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from pixcrawler.validator.integrity import ValidationRules

Render = Callable[..., Image.Image]
Encode = Callable[..., bytes]


def render(seed: int, size: tuple[int, int] = (256, 256), mode: str = "RGB") -> Image.Image:
    """A smooth seeded picture: a random 6x6 colour grid blown up bicubically, plus faint grain.

    Each seed has its own low-frequency layout, which is what a perceptual hash sees; the grain
    keeps even small files above the default 1 KiB floor.
    """
    rng = np.random.default_rng(seed)
    grid = Image.fromarray(rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8), "RGB")
    smooth = np.asarray(grid.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    grain = rng.integers(-6, 7, size=smooth.shape, dtype=np.int16)
    pixels = np.clip(smooth + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert(mode)


def encode(picture: Image.Image, image_format: str, **options: object) -> bytes:
    """``picture`` saved to bytes in ``image_format``."""
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.fixture
def rules() -> ValidationRules:
    """The default validation rules, spelled out so tests do not depend on the environment."""
    return ValidationRules(
        min_width=64,
        min_height=64,
        max_width=12000,
        max_height=12000,
        min_file_bytes=1024,
        max_file_bytes=25 * 1024 * 1024,
        allowed_formats=("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"),
        animated_policy="first_frame",
    )


@pytest.fixture
def picture() -> Render:
    """Factory for seeded pictures: ``picture(seed, size=(256, 256), mode="RGB")``."""
    return render


@pytest.fixture
def encoded() -> Encode:
    """Factory for encoded bytes: ``encoded(picture, "JPEG", quality=90)``."""
    return encode
