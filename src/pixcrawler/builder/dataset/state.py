"""The dataset's durable state: one SQLite file beside the images, the truth for resume.

It is one of the two stores of :class:`~pixcrawler.records.ManifestRow` (the job database is the
other): :func:`record` writes a row, :func:`iter_rows` reads them back in first-seen order.
"""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pixcrawler.records import ManifestRow, Status

STATE_DIR = ".pixcrawler"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    url TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    retryable INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    source TEXT, query TEXT, page_url TEXT, title TEXT,
    license TEXT, license_url TEXT, attribution TEXT,
    sha256 TEXT, file_name TEXT, width INTEGER, height INTEGER, format TEXT, phash TEXT,
    quality TEXT,
    duplicate_of TEXT, cross_class INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (url, label)
);
CREATE INDEX IF NOT EXISTS candidates_label_status ON candidates (label, status);
CREATE TABLE IF NOT EXISTS queries (
    label TEXT NOT NULL, query TEXT NOT NULL, engine TEXT NOT NULL,
    pages INTEGER NOT NULL, candidates INTEGER NOT NULL, error TEXT,
    PRIMARY KEY (label, query, engine)
);
"""
#: The ``candidates`` columns holding a row's fields: the ManifestRow fields, in their order.
_FIELDS = tuple(ManifestRow.__dataclass_fields__)
_COLUMNS = (*_FIELDS, "seq")
_UPDATED = [name for name in _COLUMNS if name not in {"url", "label", "seq"}]
# Keeps the first-seen ``seq`` when a rerun retries a candidate, so exports stay in input order.
_UPSERT = (
    f"INSERT INTO candidates ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (url, label) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _UPDATED)
)


def open_state(root: Path) -> sqlite3.Connection:
    """Open (creating if needed) the state database of the dataset at ``root``."""
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "state.sqlite", isolation_level="DEFERRED")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    return conn


def record(conn: sqlite3.Connection, row: ManifestRow, *, seq: int) -> None:
    """Record a candidate's latest outcome; a rerun's answer replaces the earlier one.

    ``seq`` is the row's place in the exports; a row already stored keeps its first one.
    """
    conn.execute(_UPSERT, (*_to_sql(row), seq))


def iter_rows(conn: sqlite3.Connection, status: Status | None = None) -> Iterator[ManifestRow]:
    """Every recorded row in first-seen order (streamed), optionally of one status only."""
    query = f"SELECT {', '.join(_FIELDS)} FROM candidates"
    args: tuple[str, ...] = ()
    if status is not None:
        query, args = query + " WHERE status = ?", (str(status),)
    for values in conn.execute(query + " ORDER BY seq", args):
        yield _from_sql(values)


def finished_keys(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """``(url, label)`` pairs a rerun must not touch again (everything not marked retryable)."""
    return set(conn.execute("SELECT url, label FROM candidates WHERE retryable = 0"))


def kept_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Number of kept images per class label."""
    query = "SELECT label, COUNT(*) FROM candidates WHERE status = ? GROUP BY label"
    return dict(conn.execute(query, (str(Status.KEPT),)))


def next_seq(conn: sqlite3.Connection) -> int:
    """The next insertion number, so exports keep the order candidates were first seen in."""
    (value,) = conn.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM candidates").fetchone()
    return int(value)


def _to_sql(row: ManifestRow) -> tuple[Any, ...]:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["status"] = str(row.status)
    values["quality"] = json.dumps(row.quality) if row.quality else None
    return tuple(values.values())


def _from_sql(values: tuple[Any, ...]) -> ManifestRow:
    fields = dict(zip(_FIELDS, values, strict=True))
    fields["status"] = Status(fields["status"])
    fields["retryable"] = bool(fields["retryable"])
    fields["cross_class"] = bool(fields["cross_class"])
    fields["quality"] = json.loads(fields["quality"]) if fields["quality"] else None
    return ManifestRow(**fields)
