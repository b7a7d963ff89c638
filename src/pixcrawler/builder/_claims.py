"""The (url, label) keys a build has taken, kept on disk so memory stays flat for any list length.

A set of every key costs about 150 B a row: 1.5 GB for a 10,000,000-row list. An SQLite table
in a temporary file, with a small page cache, answers "seen before?" in a few microseconds and
keeps its memory to that cache whatever the list's length.
"""

import sqlite3
import tempfile
from pathlib import Path

#: Page cache of the key table, in KiB (SQLite's negative ``cache_size``).
CACHE_KIB = 4096


class ClaimedKeys:
    """Add-if-absent over (url, label) keys, in a throwaway file deleted on :meth:`close`."""

    def __init__(self, folder: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="pixcrawler-claims-", dir=folder)
        self._conn = sqlite3.connect(Path(self._dir.name) / "claims.sqlite", isolation_level=None)
        # Throwaway data: no journal, no fsync; a crash loses nothing the state does not hold.
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._conn.execute("CREATE TABLE claims (url TEXT, label TEXT, PRIMARY KEY (url, label))")
        self._conn.execute("BEGIN")

    def claim(self, url: str, label: str) -> bool:
        """Take the key; False if it was already taken."""
        cursor = self._conn.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (url, label))
        return cursor.rowcount == 1

    def close(self) -> None:
        """Drop the table and its file."""
        self._conn.close()
        self._dir.cleanup()
