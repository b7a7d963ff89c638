"""The dataset's durable state: one SQLite file beside the images, the truth for resume."""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pixcrawler.records import Outcome, Status

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
COLUMNS = (
    "url", "label", "status", "reason", "retryable", "attempts", "source", "query", "page_url",
    "title",
    "license", "license_url", "attribution", "sha256", "file_name", "width", "height", "format",
    "phash", "quality", "duplicate_of", "cross_class", "seq",
)  # fmt: skip


_UPDATED = [name for name in COLUMNS if name not in {"url", "label", "seq"}]
# Keeps the first-seen ``seq`` when a rerun retries a candidate, so exports stay in input order.
_UPSERT = (
    f"INSERT INTO candidates ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
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


def outcome_row(outcome: Outcome, *, retryable: bool, seq: int) -> tuple[Any, ...]:
    """Flatten an :class:`Outcome` into a ``candidates`` row in :data:`COLUMNS` order."""
    c, info, dup = outcome.candidate, outcome.info, outcome.duplicate_of
    return (
        c.url, c.label, str(outcome.status), outcome.reason, int(retryable), outcome.attempts,
        c.source, c.query, c.page_url, c.title, c.license, c.license_url, c.attribution,
        outcome.sha256, outcome.file_name,
        info.width if info else None, info.height if info else None,
        info.format if info else None, f"{info.phash:016x}" if info else None,
        json.dumps(info.quality) if info and info.quality else None,
        dup.file_name if dup else None, int(bool(dup and dup.label != c.label)), seq,
    )  # fmt: skip


def upsert(conn: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    """Record a candidate's latest outcome; a rerun's answer replaces the earlier one."""
    conn.execute(_UPSERT, row)


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


def iter_rows(conn: sqlite3.Connection, status: Status | None = None) -> Iterator[dict[str, Any]]:
    """Every candidate row as a dict, in first-seen order, optionally of one status."""
    query = f"SELECT {', '.join(COLUMNS)} FROM candidates"
    args: tuple[str, ...] = ()
    if status is not None:
        query, args = query + " WHERE status = ?", (str(status),)
    for values in conn.execute(query + " ORDER BY seq", args):
        yield dict(zip(COLUMNS, values, strict=True))
