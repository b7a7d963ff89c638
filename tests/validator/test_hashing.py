"""Perceptual hashes: imagehash-compatible pHash, rotation/mirror fingerprint, dedup with it."""

import io
import sqlite3

import imagehash
import numpy as np
import pytest
from PIL import Image

from pixcrawler.validator.dedup import DedupIndex
from pixcrawler.validator.hash_index import HashIndex, brute_force_within
from pixcrawler.validator.hashing import (
    FINGERPRINT_BYTES,
    hash_source,
    phash,
    picture_hashes,
    split_fingerprint,
)

TURNS = [
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_180,
    Image.Transpose.ROTATE_270,
    Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.TRANSVERSE,
]


def photo(seed: int, size: tuple[int, int] = (96, 80)) -> Image.Image:
    """A smooth random grayscale picture (low frequencies dominate, as in photos)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(6, 5), dtype=np.uint8)
    return Image.fromarray(coarse, "L").resize(size, Image.Resampling.BICUBIC)


@pytest.mark.parametrize("seed", range(5))
def test_phash_is_imagehash_phash(seed):
    picture = photo(seed)
    expected = int(str(imagehash.phash(picture)), 16)
    assert picture_hashes(picture).phash == expected
    assert phash(picture) == expected


def test_hash_source_is_a_small_grayscale_picture():
    large = photo(1, size=(640, 480)).convert("RGB")

    source = hash_source(large)

    assert source.mode == "L"
    assert source.size == (92, 69)  # box-reduced by 480 // 64 = 7, rounding up
    assert hash_source(photo(1)).size == (96, 80)  # small pictures are not reduced


@pytest.mark.parametrize("turn", TURNS)
def test_fingerprint_holds_every_rotation_and_mirror(turn):
    original = picture_hashes(photo(3))
    turned = picture_hashes(photo(3).transpose(turn))

    closest = min(
        (turned.phash ^ phash).bit_count() for phash, _ in split_fingerprint(original.fingerprint)
    )

    assert len(original.fingerprint) == FINGERPRINT_BYTES
    assert closest <= 2
    assert (turned.phash ^ original.phash).bit_count() > 6  # the plain pHash misses it


def test_split_fingerprint_refuses_a_wrong_length():
    with pytest.raises(ValueError, match="fingerprint of 3 bytes"):
        split_fingerprint(b"abc")


def index_with(picture: Image.Image) -> DedupIndex:
    index = DedupIndex(sqlite3.connect(":memory:"), threshold=6)
    hashes = picture_hashes(picture)
    index.add("kept", hashes.phash, "a", "kept.jpg", hashes.fingerprint)
    return index


@pytest.mark.parametrize("turn", TURNS)
def test_dedup_index_finds_a_turned_copy(turn):
    index = index_with(photo(5))
    turned = picture_hashes(photo(5).transpose(turn))

    match = index.find("new", turned.phash, fingerprint=turned.fingerprint)

    assert match is not None
    assert match.file_name == "kept.jpg"


def test_dedup_index_keeps_a_different_picture_apart():
    index = index_with(photo(5))
    other = picture_hashes(photo(6))

    assert index.find("new", other.phash, fingerprint=other.fingerprint) is None


def test_dedup_index_finds_a_reencoded_copy_through_validation_hashes():
    buffer = io.BytesIO()
    photo(8).save(buffer, "JPEG", quality=75)
    index = index_with(photo(8))
    copy = picture_hashes(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))

    assert index.find("new", copy.phash, fingerprint=copy.fingerprint) is not None


@pytest.mark.parametrize("radius", [0, 3, 6, 10])
def test_hash_index_agrees_with_a_full_scan(radius):
    rng = np.random.default_rng(radius)
    hashes = rng.integers(0, 2**64, size=5000, dtype=np.uint64)
    index = HashIndex()
    for value in hashes:
        index.add(int(value))
    queries = [
        int(hashes[7]) ^ 0b1011,
        int(hashes[100]) ^ (1 << 63) ^ 1,
        int(rng.integers(0, 2**63)),
    ]

    for query in queries:
        found, distances = index.within(query, radius)
        expected, expected_distances = brute_force_within(hashes, query, radius)
        assert found.tolist() == expected.tolist()
        assert distances.tolist() == expected_distances.tolist()


def test_hash_index_agrees_with_a_full_scan_when_buckets_are_crowded():
    # Hundreds of hashes sharing their top chunks: a query meets more candidates than the
    # index checks one by one, so the vectorised check runs.
    rng = np.random.default_rng(1)
    base = int(rng.integers(0, 2**63))
    low_bits = rng.integers(0, 2**16, size=400, dtype=np.uint64)
    hashes = (np.uint64(base) & ~np.uint64(0xFFFF)) | low_bits
    index = HashIndex()
    for value in hashes:
        index.add(int(value))
    index.discard(3)

    found, distances = index.within(int(hashes[3]), 6)
    expected, expected_distances = brute_force_within(hashes, int(hashes[3]), 6)

    alive = expected != 3
    assert len(expected) > 64
    assert found.tolist() == expected[alive].tolist()
    assert distances.tolist() == expected_distances[alive].tolist()


def test_hash_index_skips_discarded_entries():
    index = HashIndex()
    first, second = index.add(42), index.add(42)
    index.discard(first)

    assert index.within(42, 0)[0].tolist() == [second]
