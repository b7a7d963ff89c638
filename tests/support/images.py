"""Deterministic test images: the same seed always gives the same picture and the same bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance

#: Perceptual-hash distance (bits of a 64-bit pHash) that distinct test pictures always exceed.
DISTINCT_PHASH_BITS = 20


def render(seed: int, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """Draw a seeded picture: smooth colour blobs overlaid with random rectangles and ellipses.

    The blobs (a random 8x8 colour grid, upscaled) give every seed its own low-frequency structure,
    which is what a perceptual hash sees, so hashes of different seeds are close to independent;
    flat shapes rather than noise keep a 256x256 JPEG around 9 KB.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    grid = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    picture = Image.fromarray(grid, "RGB").resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    for _ in range(int(rng.integers(6, 12))):
        x0, x1 = sorted(rng.integers(0, width, size=2).tolist())
        y0, y1 = sorted(rng.integers(0, height, size=2).tolist())
        colour = tuple(rng.integers(0, 256, size=3).tolist())
        shape = draw.ellipse if rng.random() < 0.4 else draw.rectangle
        shape((x0, y0, x1 + width // 16, y1 + height // 16), fill=colour)
    return picture


def make_jpeg(seed: int, size: tuple[int, int] = (256, 256), quality: int = 90) -> bytes:
    """A baseline JPEG of ``render(seed, size)``."""
    return _encode(render(seed, size), "JPEG", quality=quality)


def make_png(seed: int, size: tuple[int, int] = (256, 256)) -> bytes:
    """A PNG of ``render(seed, size)``: the same picture as ``make_jpeg`` with the same seed."""
    return _encode(render(seed, size), "PNG")


def make_gif_animated(seed: int, frames: int = 3, size: tuple[int, int] = (128, 128)) -> bytes:
    """An animated GIF whose first frame is ``render(seed, size)`` and the others differ."""
    pictures = [render(seed + index * 7919, size) for index in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return buffer.getvalue()


def near_duplicate_of(jpeg_bytes: bytes) -> bytes:
    """The same picture, one step brighter and re-encoded at another quality: new bytes, same pHash.

    The result stays within 4 bits of the original's 64-bit pHash (checked in test_server.py).
    """
    with Image.open(io.BytesIO(jpeg_bytes)) as original:
        brighter = ImageEnhance.Brightness(original.convert("RGB")).enhance(1.02)
    return _encode(brighter, "JPEG", quality=75)


def truncated(jpeg_bytes: bytes) -> bytes:
    """The first 60% of an encoded image, as left by a dropped connection."""
    return jpeg_bytes[: len(jpeg_bytes) * 6 // 10]


def phash(data: bytes) -> imagehash.ImageHash:
    """The 64-bit perceptual hash of encoded image bytes."""
    with Image.open(io.BytesIO(data)) as picture:
        return imagehash.phash(picture)


def distinct_seeds(count: int, min_bits: int = DISTINCT_PHASH_BITS + 1) -> list[int]:
    """The first ``count`` seeds whose pictures are pairwise ``min_bits``+ pHash bits apart."""
    seeds: list[int] = []
    hashes: list[imagehash.ImageHash] = []
    candidate = 0
    while len(seeds) < count:
        candidate_hash = imagehash.phash(render(candidate))
        if all(candidate_hash - kept >= min_bits for kept in hashes):
            seeds.append(candidate)
            hashes.append(candidate_hash)
        candidate += 1
    return seeds


@dataclass(frozen=True)
class ImageSet:
    """Pre-encoded pictures that are pairwise distinct to a perceptual hash.

    ``jpegs`` and ``pngs`` are 256x256; ``tiny`` is a valid 32x32 JPEG; ``animated_gif`` has three
    128x128 frames. No two of them are near duplicates, so dedup never interferes with a test that
    did not ask for duplicates.
    """

    jpegs: tuple[bytes, ...]
    pngs: tuple[bytes, ...]
    tiny: bytes
    animated_gif: bytes

    @classmethod
    def build(cls, jpeg_count: int = 16, png_count: int = 2) -> ImageSet:
        """Encode ``jpeg_count`` JPEGs and ``png_count`` PNGs from mutually distinct seeds."""
        seeds = distinct_seeds(jpeg_count + png_count + 2)
        jpeg_seeds, rest = seeds[:jpeg_count], seeds[jpeg_count:]
        return cls(
            jpegs=tuple(make_jpeg(seed) for seed in jpeg_seeds),
            pngs=tuple(make_png(seed) for seed in rest[:png_count]),
            tiny=make_jpeg(rest[-2], size=(32, 32)),
            animated_gif=make_gif_animated(rest[-1]),
        )


def _encode(picture: Image.Image, image_format: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()
