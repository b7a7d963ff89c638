"""Build statistics from the state database: the per-class funnel and top rejection reasons."""

import sqlite3
from dataclasses import dataclass

_FUNNEL_QUERY = """
SELECT {column},
       COUNT(*),
       SUM(sha256 IS NOT NULL),
       SUM(width IS NOT NULL),
       SUM(width IS NOT NULL AND status != 'duplicate'),
       SUM(status = 'kept')
FROM candidates GROUP BY {column} ORDER BY {column}
"""


# Duplicates name the image they repeat; grouped, they read "exact duplicate (cross-class)".
_REASON_GROUP = """CASE WHEN status = 'duplicate'
    THEN substr(reason, 1, instr(reason, ' of ') - 1)
         || CASE WHEN cross_class THEN ' (cross-class)' ELSE '' END
    ELSE reason END"""


@dataclass(frozen=True, slots=True)
class Funnel:
    """How one class's candidates thinned out: each stage counts what passed it."""

    label: str
    candidates: int
    downloaded: int
    valid: int
    unique: int
    kept: int


def funnel_by_class(conn: sqlite3.Connection) -> list[Funnel]:
    """One :class:`Funnel` per class label, sorted by label."""
    return _funnels(conn, "label")


def funnel_by_source(conn: sqlite3.Connection) -> list[Funnel]:
    """One :class:`Funnel` per source (engine name or ``url_list``); ``label`` holds the source."""
    return _funnels(conn, "source")


def _funnels(conn: sqlite3.Connection, column: str) -> list[Funnel]:
    rows = conn.execute(_FUNNEL_QUERY.format(column=column))
    return [Funnel(str(row[0]), *(int(v or 0) for v in row[1:])) for row in rows]


@dataclass(frozen=True, slots=True)
class EngineQueries:
    """How an engine's queries went: issued, failed (error or no results), pages, candidates."""

    engine: str
    queries: int
    failed: int
    pages: int
    candidates: int


def engine_queries(conn: sqlite3.Connection) -> list[EngineQueries]:
    """Per-engine discovery totals from the ``queries`` table (empty for URL-list builds)."""
    query = (
        "SELECT engine, COUNT(*), SUM(error IS NOT NULL), SUM(pages), SUM(candidates) "
        "FROM queries GROUP BY engine ORDER BY engine"
    )
    return [EngineQueries(str(r[0]), *(int(v or 0) for v in r[1:])) for r in conn.execute(query)]


def top_reasons(conn: sqlite3.Connection, limit: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent ``(status, reason, count)`` among candidates that were not kept."""
    query = (
        f"SELECT status, {_REASON_GROUP} AS why, COUNT(*) FROM candidates WHERE status != 'kept' "
        "GROUP BY status, why ORDER BY COUNT(*) DESC, why LIMIT ?"
    )
    return [(str(s), str(r), int(n)) for s, r, n in conn.execute(query, (limit,))]
