"""Exact (sha256) and near-duplicate index of kept images, persisted in SQLite.

A near duplicate is found in two stages. Candidates: kept images whose 64-bit pHash is within
the threshold of the new image's pHash in any of its eight rotations and mirrors (a multi-index
lookup, ``hash_index``). Confirmation: the 256-bit hash of that same orientation must also be
within :data:`WIDE_RADIUS` (unless the pHashes are within :data:`CERTAIN_DISTANCE`); the
longer hash tells apart similar photos that the short one confuses. Images indexed without a
fingerprint (rows from before it existed, or a job-wide pass over stored rows) are matched on
the pHash alone, as displayed.
"""

import sqlite3

import numpy as np
import numpy.typing as npt

from pixcrawler.records import DuplicateMatch
from pixcrawler.validator.hash_index import HashIndex, popcount
from pixcrawler.validator.hashing import WIDE_HASH_BYTES, split_fingerprint

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup_index (
    sha256 TEXT PRIMARY KEY,
    phash INTEGER NOT NULL,
    label TEXT NOT NULL,
    file_name TEXT NOT NULL,
    wide_hash BLOB
)
"""
_HASH_BITS = 64
_SIGN_BIT = 1 << (_HASH_BITS - 1)
_HASH_SPAN = 1 << _HASH_BITS
_WIDE_WORDS = WIDE_HASH_BYTES // 8
#: Largest distance between two 256-bit hashes that still confirms a candidate. Measured on
#: benchmarks/dedup.py's set: no distinct pair came closer than 32, every re-encode within 30.
WIDE_RADIUS = 30
#: pHash distance that needs no confirmation: the wide hash of a very smooth picture is mostly
#: near-zero high frequencies, whose bits a re-encode flips (a JPEG at quality 75: 34 bits).
CERTAIN_DISTANCE = 2

WideArray = npt.NDArray[np.uint64]


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two unsigned 64-bit hashes."""
    return (a ^ b).bit_count()


def _to_signed(phash: int) -> int:
    """Store an unsigned 64-bit hash in SQLite's signed 64-bit INTEGER."""
    if not 0 <= phash < _HASH_SPAN:
        raise ValueError(f"phash {phash} is not an unsigned 64-bit integer")
    return phash - _HASH_SPAN if phash & _SIGN_BIT else phash


def _to_unsigned(stored: int) -> int:
    """Undo :func:`_to_signed`."""
    return stored + _HASH_SPAN if stored < 0 else stored


def _wide_words(wide: bytes) -> WideArray:
    """A 256-bit hash as four big-endian 64-bit words."""
    return np.frombuffer(wide, dtype=">u8").astype(np.uint64)


class DedupIndex:
    """Every kept image's sha256, pHash and wide hash, mirrored in memory for fast lookups.

    Rows live in the ``dedup_index`` table of the caller's connection; :meth:`add` and
    :meth:`remove` write without committing, so an index update lands in the same transaction
    as the manifest row that explains it. After a rollback, call :meth:`reload`.
    Not thread-safe; one writer owns an index.
    """

    def __init__(self, conn: sqlite3.Connection, threshold: int) -> None:
        """Create (or extend) the table and load its rows.

        Args:
            conn: the state database; the index never commits on it.
            threshold: the largest pHash Hamming distance still counted as a near duplicate.
        """
        self.conn = conn
        self.threshold = threshold
        self.conn.execute(_SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(dedup_index)")}
        if "wide_hash" not in columns:  # a state file written before the fingerprint existed
            self.conn.execute("ALTER TABLE dedup_index ADD COLUMN wide_hash BLOB")
        self.reload()

    def __len__(self) -> int:
        return len(self._entry_by_sha256)

    def reload(self) -> None:
        """Rebuild the in-memory mirror from the table (after a rollback, say)."""
        rows = self.conn.execute(
            "SELECT sha256, phash, label, file_name, wide_hash FROM dedup_index ORDER BY rowid"
        ).fetchall()
        self._hashes = HashIndex()
        self._wide: WideArray = np.zeros((max(1024, 2 * len(rows)), _WIDE_WORDS), np.uint64)
        self._has_wide = np.zeros(len(self._wide), dtype=bool)
        self._entry_by_sha256: dict[str, int] = {}
        self._labels: list[str] = []
        self._file_names: list[str] = []
        for sha256, stored, label, file_name, wide in rows:
            self._append(sha256, _to_unsigned(stored), label, file_name, wide or b"")

    def find(
        self, sha256: str, phash: int, threshold: int | None = None, fingerprint: bytes = b""
    ) -> DuplicateMatch | None:
        """The kept image that duplicates a new one, or None.

        An identical sha256 wins (``kind="exact"``, distance 0); otherwise the nearest confirmed
        candidate (``kind="near"``, its pHash distance; on a tie, the earliest kept).

        Args:
            sha256: the new file's content hash.
            phash: its unsigned 64-bit perceptual hash.
            threshold: overrides the index's threshold for this lookup; negative disables
                near matching.
            fingerprint: its ``ImageInfo.fingerprint``; empty matches on ``phash`` alone.
        """
        entry = self._entry_by_sha256.get(sha256)
        if entry is not None:
            return self._match("exact", entry, 0)
        limit = self.threshold if threshold is None else threshold
        best: tuple[int, int] | None = None  # (distance, entry)
        for oriented_phash, wide in split_fingerprint(fingerprint) or [(phash, b"")]:
            entries, distances = self._hashes.within(oriented_phash, limit)
            if not len(entries):  # the usual answer: skip the numpy calls of the confirmation
                continue
            confirmed = self._confirmed(entries, wide) | (distances <= CERTAIN_DISTANCE)
            if confirmed.any():
                nearest = int(np.argmin(np.where(confirmed, distances, _HASH_BITS + 1)))
                found = (int(distances[nearest]), int(entries[nearest]))
                best = found if best is None else min(best, found)
        return None if best is None else self._match("near", best[1], best[0])

    def add(
        self, sha256: str, phash: int, label: str, file_name: str, fingerprint: bytes = b""
    ) -> None:
        """Record a kept image (ignored if its sha256 is already known); does not commit."""
        if sha256 in self._entry_by_sha256:
            return
        oriented = split_fingerprint(fingerprint)
        wide = oriented[0][1] if oriented else b""
        self.conn.execute(
            "INSERT OR IGNORE INTO dedup_index (sha256, phash, label, file_name, wide_hash) "
            "VALUES (?, ?, ?, ?, ?)",
            (sha256, _to_signed(phash), label, file_name, wide or None),
        )
        self._append(sha256, phash, label, file_name, wide)

    def remove(self, sha256: str) -> None:
        """Forget a kept image (a no-op if unknown); does not commit."""
        entry = self._entry_by_sha256.pop(sha256, None)
        if entry is None:
            return
        self.conn.execute("DELETE FROM dedup_index WHERE sha256 = ?", (sha256,))
        self._hashes.discard(entry)

    def _confirmed(self, entries: npt.NDArray[np.int64], wide: bytes) -> npt.NDArray[np.bool_]:
        """Which candidates the wide hash confirms; all of them when either side has none."""
        if not wide:
            return np.ones(len(entries), dtype=bool)
        distances = popcount((self._wide[entries] ^ _wide_words(wide)).ravel())
        close = distances.reshape(-1, _WIDE_WORDS).sum(axis=1) <= WIDE_RADIUS
        confirmed: npt.NDArray[np.bool_] = close | ~self._has_wide[entries]
        return confirmed

    def _append(self, sha256: str, phash: int, label: str, file_name: str, wide: bytes) -> None:
        """Add one entry to the in-memory mirror, doubling the wide-hash array when full."""
        entry = self._hashes.add(phash)
        if entry == len(self._wide):
            self._wide = np.concatenate([self._wide, np.zeros_like(self._wide)])
            self._has_wide = np.concatenate([self._has_wide, np.zeros_like(self._has_wide)])
        if wide:
            self._wide[entry], self._has_wide[entry] = _wide_words(wide), True
        self._entry_by_sha256[sha256] = entry
        self._labels.append(label)
        self._file_names.append(file_name)

    def _match(self, kind: str, entry: int, distance: int) -> DuplicateMatch:
        """The match record for ``entry``."""
        return DuplicateMatch(
            kind=kind,
            file_name=self._file_names[entry],
            label=self._labels[entry],
            distance=distance,
        )
