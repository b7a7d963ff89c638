"""Perceptual hashes of a decoded picture: the 64-bit pHash and the 8-orientation fingerprint.

The pHash is ``imagehash.phash`` bit for bit (grayscale, Lanczos to 32x32, the 8x8 lowest DCT
frequencies against their median) computed with two small matrix products instead of two full
DCTs. The fingerprint holds, for each of the eight rotations and mirrors of the picture, its
64-bit pHash and a 256-bit hash (16x16 lowest frequencies of a 64x64 thumbnail). Rotating or
mirroring a picture only transposes its DCT and flips the sign of alternate frequencies, so the
eight orientations cost one DCT, not eight decodes.
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

Coefficients = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PictureHashes:
    """The pHash of a picture as displayed and its fingerprint (see the module docstring)."""

    phash: int
    fingerprint: bytes


def picture_hashes(gray: Image.Image) -> PictureHashes:
    """Hash a single-channel ``L`` picture, already turned as it is displayed."""
    low = _low_frequencies(gray, _PHASH_SIDE, _PHASH_KEEP)
    wide = _low_frequencies(gray, _WIDE_SIDE, _WIDE_KEEP)
    entries = [
        _bits(oriented_low) + _bits(oriented_wide)
        for oriented_low, oriented_wide in zip(_orientations(low), _orientations(wide), strict=True)
    ]
    return PictureHashes(int.from_bytes(entries[0][:PHASH_BYTES], "big"), b"".join(entries))


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
def _alternating_signs(keep: int) -> Coefficients:
    """+1, -1, +1, ...: how a mirror changes each frequency of a DCT."""
    signs: Coefficients = np.where(np.arange(keep) % 2 == 0, 1.0, -1.0)
    return signs


def _low_frequencies(gray: Image.Image, side: int, keep: int) -> Coefficients:
    """The ``keep`` x ``keep`` lowest 2-D DCT frequencies of ``gray`` resized to ``side``."""
    pixels = np.asarray(gray.resize((side, side), Image.Resampling.LANCZOS), dtype=np.float64)
    rows = _dct_rows(keep, side)
    low: Coefficients = rows @ pixels @ rows.T
    return low


def _orientations(low: Coefficients) -> list[Coefficients]:
    """The coefficients of the eight rotations and mirrors of the picture, identity first."""
    signs = _alternating_signs(low.shape[0])
    left_right = signs[None, :]  # a left-right mirror flips odd horizontal frequencies
    top_bottom = signs[:, None]
    turned: list[Coefficients] = []
    for block in (low, low.T):  # the transpose covers the quarter turns
        turned += [block, block * left_right, block * top_bottom, block * left_right * top_bottom]
    return turned


def _bits(low: Coefficients) -> bytes:
    """Each coefficient above the median as one bit, first coefficient in the highest bit."""
    flat = low.ravel()
    return np.packbits(flat > np.median(flat)).tobytes()
