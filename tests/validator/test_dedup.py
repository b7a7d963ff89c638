"""DedupIndex: exact and near lookups, thresholds, persistence and transactions."""

import sqlite3

import numpy as np
import pytest

from pixcrawler.records import DuplicateMatch
from pixcrawler.validator import hash_index
from pixcrawler.validator.dedup import DedupIndex, hamming

HIGH_BIT_HASH = 0xF0F0_0000_FFFF_1234  # above 2**63: stored negative in SQLite
LOW_HASH = 0x0000_1111_2222_3333


def flip_bits(value: int, count: int) -> int:
    """``value`` with its lowest ``count`` bits inverted."""
    return value ^ ((1 << count) - 1)


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def index(conn):
    return DedupIndex(conn, threshold=6)


def test_hamming():
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(0, 2**64 - 1) == 64


def test_empty_index_finds_nothing(index):
    assert len(index) == 0
    assert index.find("a" * 64, LOW_HASH) is None


def test_exact_match_wins_regardless_of_phash(index):
    index.add("sha-a", LOW_HASH, "cats", "cats/000001.jpg")

    match = index.find("sha-a", HIGH_BIT_HASH)

    assert match == DuplicateMatch(
        kind="exact", file_name="cats/000001.jpg", label="cats", distance=0
    )


def test_near_match_within_threshold(index):
    index.add("sha-a", HIGH_BIT_HASH, "cats", "cats/000001.jpg")

    match = index.find("sha-b", flip_bits(HIGH_BIT_HASH, 5))

    assert match == DuplicateMatch(
        kind="near", file_name="cats/000001.jpg", label="cats", distance=5
    )


def test_no_match_beyond_threshold(index):
    index.add("sha-a", HIGH_BIT_HASH, "cats", "cats/000001.jpg")

    assert index.find("sha-b", flip_bits(HIGH_BIT_HASH, 7)) is None


def test_nearest_wins_and_ties_go_to_the_earliest(index):
    index.add("far", flip_bits(LOW_HASH, 6), "a", "far.jpg")
    index.add("tie-1", flip_bits(LOW_HASH, 2), "a", "tie-1.jpg")
    index.add("tie-2", LOW_HASH ^ (0b11 << 40), "a", "tie-2.jpg")

    match = index.find("new", LOW_HASH)

    assert match is not None
    assert (match.file_name, match.distance) == ("tie-1.jpg", 2)


def test_threshold_override(index):
    index.add("sha-a", LOW_HASH, "dogs", "dogs/1.jpg")
    query = flip_bits(LOW_HASH, 10)

    assert index.find("sha-b", query) is None
    widened = index.find("sha-b", query, threshold=12)
    assert widened is not None
    assert widened.distance == 10
    assert index.find("sha-b", flip_bits(LOW_HASH, 1), threshold=0) is None
    assert index.find("sha-b", LOW_HASH, threshold=-1) is None
    assert index.find("sha-a", 0, threshold=-1) is not None  # exact lookups ignore the radius


def test_add_ignores_a_known_sha256(index, conn):
    index.add("sha-a", LOW_HASH, "cats", "first.jpg")
    index.add("sha-a", HIGH_BIT_HASH, "dogs", "second.jpg")

    assert len(index) == 1
    assert conn.execute("SELECT file_name FROM dedup_index").fetchall() == [("first.jpg",)]


def test_rejects_hashes_outside_64_bits(index):
    with pytest.raises(ValueError, match="unsigned 64-bit"):
        index.add("sha-a", 2**64, "cats", "a.jpg")
    with pytest.raises(ValueError, match="unsigned 64-bit"):
        index.add("sha-a", -1, "cats", "a.jpg")
    assert len(index) == 0


def test_persists_across_reconnect(tmp_path):
    path = tmp_path / "state.sqlite"
    first = sqlite3.connect(path)
    DedupIndex(first, threshold=6).add("sha-a", HIGH_BIT_HASH, "cats", "cats/1.jpg")
    first.commit()
    first.close()

    second = sqlite3.connect(path)
    reopened = DedupIndex(second, threshold=6)
    stored = second.execute("SELECT phash FROM dedup_index").fetchone()[0]
    near = reopened.find("sha-b", flip_bits(HIGH_BIT_HASH, 3))
    second.close()

    assert len(reopened) == 1
    assert stored == HIGH_BIT_HASH - 2**64
    assert near == DuplicateMatch(kind="near", file_name="cats/1.jpg", label="cats", distance=3)


def test_add_leaves_the_commit_to_the_caller(index, conn):
    conn.commit()  # the table itself
    index.add("sha-a", LOW_HASH, "cats", "a.jpg")
    conn.rollback()

    assert conn.execute("SELECT COUNT(*) FROM dedup_index").fetchone() == (0,)
    index.reload()
    assert len(index) == 0


def test_remove_keeps_the_rest_findable(index, conn):
    for number in range(4):
        index.add(f"sha-{number}", LOW_HASH << number, "a", f"{number}.jpg")

    index.remove("sha-1")
    index.remove("missing")

    assert len(index) == 3
    assert index.find("sha-1", 0, threshold=-1) is None
    exact = index.find("sha-3", 0, threshold=-1)
    assert exact is not None
    assert exact.file_name == "3.jpg"
    assert conn.execute("SELECT COUNT(*) FROM dedup_index").fetchone() == (3,)


def test_grows_past_its_initial_capacity(index):
    rng = np.random.default_rng(0)
    hashes = [int(value) for value in rng.integers(0, 2**64, size=3000, dtype=np.uint64)]
    for number, value in enumerate(hashes):
        index.add(f"sha-{number}", value, "a", f"{number}.jpg")

    match = index.find("new", flip_bits(hashes[-1], 1), threshold=1)

    assert len(index) == 3000
    assert match is not None
    assert match.file_name == "2999.jpg"


def test_popcount_fallback_matches_numpy(monkeypatch):
    values = np.array([0, 1, 2**63, 2**64 - 1, HIGH_BIT_HASH], dtype=np.uint64)
    expected = [0, 1, 1, 64, HIGH_BIT_HASH.bit_count()]

    assert hash_index.popcount(values).tolist() == expected
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert hash_index.popcount(values).tolist() == expected
