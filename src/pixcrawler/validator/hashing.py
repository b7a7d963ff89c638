"""Perceptual hashes of a decoded picture: the 64-bit pHash and the 8-orientation fingerprint.

The pHash is ``imagehash.phash`` bit for bit (grayscale, Lanczos to 32x32, the 8x8 lowest DCT
frequencies against their median) computed with two small matrix products instead of two full
DCTs. The fingerprint holds, for each of the eight rotations and mirrors of the picture, its
64-bit pHash and a 256-bit hash (16x16 lowest frequencies of a 64x64 thumbnail). Rotating or
mirroring a picture only transposes its DCT and flips the sign of alternate frequencies, so the
eight orientations cost one DCT and one vectorised median, not eight decodes.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from PIL import Image

#: Rotations and mirrors of a picture (the dihedral group of the square).
ORIENTATIONS = 8
PHASH_BYTES = 8
WIDE_HASH_BYTES = 32
#: Bytes of one orientation's entry in a fingerprint: its pHash, then its wide hash.
ENTRY_BYTES = PHASH_BYTES + WIDE_HASH_BYTES
FINGERPRINT_BYTES = ORIENTATIONS * ENTRY_BYTES

_PHASH_SIDE, _PHASH_KEEP = 32, 8
_WIDE_SIDE, _WIDE_KEEP = 64, 16
# Hashes look at a 64x64 thumbnail at most; a cheap box reduction down to about this side first
# keeps the Lanczos resizes from touching every pixel of a large photo.
_HASH_SOURCE_SIDE = 64
_REDUCIBLE_MODES = frozenset({"L", "RGB", "RGBA", "LA", "CMYK", "YCbCr", "I", "F"})

Coefficients = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PictureHashes:
    """The pHash of a picture as displayed and its fingerprint (see the module docstring)."""

    phash: int
    fingerprint: bytes


def hash_source(image: Image.Image) -> Image.Image:
    """The single-channel ``L`` picture the hashes are computed from: ``image`` box-reduced.

    Raises:
        ValueError: if Pillow cannot convert ``image``'s mode to grayscale.
    """
    factor = min(image.size) // _HASH_SOURCE_SIDE
    if factor <= 1:
        return _grayscale(image)
    # Reducing before the grayscale conversion converts far fewer pixels.
    source = image if image.mode in _REDUCIBLE_MODES else _grayscale(image)
    return _grayscale(source.reduce(factor))


def phash(gray: Image.Image) -> int:
    """``imagehash.phash`` of a single-channel picture, as an unsigned int (first bit highest)."""
    low = _low_frequencies(gray, _PHASH_SIDE, _PHASH_KEEP).reshape(1, -1)
    return int.from_bytes(_bits_above_median(low).tobytes(), "big")


def picture_hashes(gray: Image.Image) -> PictureHashes:
    """Hash a single-channel ``L`` picture, already turned as it is displayed."""
    low = _oriented_bits(_low_frequencies(gray, _PHASH_SIDE, _PHASH_KEEP))
    wide = _oriented_bits(_low_frequencies(gray, _WIDE_SIDE, _WIDE_KEEP))
    entries = np.concatenate([low, wide], axis=1)
    return PictureHashes(int.from_bytes(low[0].tobytes(), "big"), entries.tobytes())


def split_fingerprint(fingerprint: bytes) -> list[tuple[int, bytes]]:
    """The (pHash, wide hash) of each orientation, identity first; empty for no fingerprint.

    Raises:
        ValueError: if ``fingerprint`` is neither empty nor :data:`FINGERPRINT_BYTES` long.
    """
    if not fingerprint:
        return []
    if len(fingerprint) != FINGERPRINT_BYTES:
        raise ValueError(f"fingerprint of {len(fingerprint)} bytes, not {FINGERPRINT_BYTES}")
    entries = (
        fingerprint[at : at + ENTRY_BYTES] for at in range(0, FINGERPRINT_BYTES, ENTRY_BYTES)
    )
    return [(int.from_bytes(entry[:PHASH_BYTES], "big"), entry[PHASH_BYTES:]) for entry in entries]


@cache
def _dct_rows(keep: int, side: int) -> Coefficients:
    """The first ``keep`` rows of scipy.fftpack's unnormalised DCT-II matrix of size ``side``."""
    frequency = np.arange(keep, dtype=np.float64)[:, None]
    sample = np.arange(side, dtype=np.float64)[None, :]
    rows: Coefficients = 2.0 * np.cos(np.pi * frequency * (2 * sample + 1) / (2 * side))
    return rows


@cache
def _orientation_signs(keep: int) -> Coefficients:
    """How each turn or mirror changes the sign of every frequency: shape (4, keep, keep).

    Identity, left-right mirror (odd horizontal frequencies flip), top-bottom mirror (odd
    vertical ones), both (a half turn). Applied to the coefficients and to their transpose,
    they give the eight orientations.
    """
    alternating = np.where(np.arange(keep) % 2 == 0, 1.0, -1.0)
    left_right = np.broadcast_to(alternating[None, :], (keep, keep))
    top_bottom = np.broadcast_to(alternating[:, None], (keep, keep))
    signs: Coefficients = np.stack(
        [np.ones((keep, keep)), left_right, top_bottom, left_right * top_bottom]
    )
    return signs


def _low_frequencies(gray: Image.Image, side: int, keep: int) -> Coefficients:
    """The ``keep`` x ``keep`` lowest 2-D DCT frequencies of ``gray`` resized to ``side``."""
    if gray.size != (side, side):
        gray = gray.resize((side, side), Image.Resampling.LANCZOS)
    pixels = np.asarray(gray, dtype=np.float64)
    rows = _dct_rows(keep, side)
    low: Coefficients = rows @ pixels @ rows.T
    return low


def _oriented_bits(low: Coefficients) -> npt.NDArray[np.uint8]:
    """The hash of each of the eight orientations, one row of packed bits each, identity first."""
    signs = _orientation_signs(low.shape[0])
    return _bits_above_median(
        np.concatenate([low * signs, low.T * signs]).reshape(ORIENTATIONS, -1)
    )


def _bits_above_median(rows: Coefficients) -> npt.NDArray[np.uint8]:
    """Each value above its row's median as one bit, packed, first value in the highest bit.

    The median is ``np.median``'s exactly (the mean of the two middle values of an even row),
    from one sort: ``np.median`` costs several times more on rows this short.
    """
    middle = rows.shape[1] // 2
    ordered = np.sort(rows, axis=1)
    medians = (ordered[:, middle - 1 : middle] + ordered[:, middle : middle + 1]) / 2
    bits: npt.NDArray[np.uint8] = np.packbits(rows > medians, axis=1)
    return bits


def _grayscale(image: Image.Image) -> Image.Image:
    """A single-channel ``L`` view of ``image`` for hashing."""
    if image.mode == "L":
        return image
    if image.mode == "LAB":
        return image.getchannel("L")
    if image.mode in ("P", "PA"):
        # Going through RGBA avoids Pillow's warning about byte-string palette transparency.
        return image.convert("RGBA").convert("L")
    if image.mode.startswith("I;16") or image.mode == "I":
        # Pillow's I→L conversion clips at 255, turning every 16-bit image white (and every
        # pair of them into "duplicates"); scale the samples down instead.
        return image.convert("I").point(lambda value: value / 257).convert("L")
    return image.convert("L")
