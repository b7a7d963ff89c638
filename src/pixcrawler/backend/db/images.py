"""The job database's store of manifest rows: a job's images, upserted by ``(job, url, label)``.

One of the two stores of :class:`~pixcrawler.records.ManifestRow` (the local state file is the
other). The table holds every row field; a kept row's ``file_name`` is stored as its storage key
(:func:`dataset_key`), which is where the image is.
"""

from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db._statements import conflict_insert
from pixcrawler.backend.db.chunks import touch_chunk
from pixcrawler.backend.db.models import Image
from pixcrawler.records import ManifestRow, Status

_KEY = ("job_id", "url", "label")
_FIELDS = tuple(name for name in ManifestRow.__dataclass_fields__ if name != "file_name")
_BATCH = 500
#: Rows fetched per round trip while streaming a job's rows.
_STREAM_BATCH = 2000


def dataset_key(job_id: str, file_name: str) -> str:
    """The storage key of a job's dataset file ``file_name`` (``images/<slug>/<sha>.jpg``…)."""
    return f"{dataset_prefix(job_id)}{file_name}"


def dataset_prefix(job_id: str) -> str:
    """The storage prefix of a job's dataset tree (images and exports)."""
    return f"jobs/{job_id}/dataset/"


def record_images(
    session: Session, *, job_id: str, chunk_id: int | None, rows: Iterable[ManifestRow]
) -> int:
    """Insert or replace the rows of ``chunk_id`` (``INSERT … ON CONFLICT DO UPDATE``).

    The latest outcome replaces the earlier one whole; within ``rows`` the last row for a
    ``(url, label)`` wins. Also refreshes the chunk's ``updated_at`` (a heartbeat for
    :func:`~pixcrawler.backend.db.chunks.resumable_chunks`).

    Returns:
        The number of distinct images written (inserted or updated).
    """
    now = utcnow()
    unique = {(row.url, row.label): row for row in rows}
    values = [
        {**_to_sql(job_id, row), "job_id": job_id, "chunk_id": chunk_id, "updated_at": now}
        for row in unique.values()
    ]
    if not values:
        return 0
    statement = conflict_insert(session, Image.__table__)
    replaced = {name: statement.excluded[name] for name in values[0] if name not in _KEY}
    upsert = statement.on_conflict_do_update(index_elements=list(_KEY), set_=replaced)
    for first in range(0, len(values), _BATCH):
        session.execute(upsert, values[first : first + _BATCH])
    if chunk_id is not None:
        touch_chunk(session, chunk_id=chunk_id)
    return len(values)


def update_outcomes(session: Session, *, job_id: str, rows: Iterable[ManifestRow]) -> int:
    """Store new outcomes (status, reason, file, original) of rows already recorded.

    Used by job-wide steps (dedup, caps, re-validation) that demote kept rows: each row keeps
    its chunk and its place in the exports.
    """
    values = [
        {"b_url": row.url, "b_label": row.label, "status": str(row.status),
         "reason": row.reason, "duplicate_of": row.duplicate_of, "cross_class": row.cross_class,
         "file_key": dataset_key(job_id, row.file_name) if row.file_name else None,
         "updated_at": utcnow()}
        for row in rows
    ]  # fmt: skip
    if not values:
        return 0
    table = cast(Table, Image.__table__)
    statement = (
        update(table)
        .where(
            table.c.job_id == job_id,
            table.c.url == bindparam("b_url"),
            table.c.label == bindparam("b_label"),
        )
        .values({name: bindparam(name) for name in values[0] if not name.startswith("b_")})
    )
    for first in range(0, len(values), _BATCH):
        # Core executemany (ORM bulk updates go by primary key only).
        session.connection().execute(statement, values[first : first + _BATCH])
    return len(values)


def iter_images(
    session: Session, *, job_id: str, status: Status | None = None, chunk_id: int | None = None
) -> Iterator[ManifestRow]:
    """The job's rows in export order (chunk by chunk, then as recorded), streamed.

    Optionally only rows of one ``status`` or of one chunk.
    """
    table = Image.__table__
    columns = [table.c[name] for name in (*_FIELDS, "file_key")]
    statement = select(*columns).where(table.c.job_id == job_id)
    if status is not None:
        statement = statement.where(table.c.status == str(status))
    if chunk_id is not None:
        statement = statement.where(table.c.chunk_id == chunk_id)
    statement = statement.order_by(table.c.chunk_id, table.c.id)
    result = session.execute(statement.execution_options(yield_per=_STREAM_BATCH))
    prefix = dataset_prefix(job_id)
    for values in result:
        yield _from_sql(prefix, values._asdict())


def _to_sql(job_id: str, row: ManifestRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["status"] = str(row.status)
    values["file_key"] = dataset_key(job_id, row.file_name) if row.file_name else None
    return values


def _from_sql(prefix: str, values: dict[str, Any]) -> ManifestRow:
    key = values.pop("file_key")
    values["status"] = Status(values["status"])
    values["file_name"] = key.removeprefix(prefix) if key else None
    return ManifestRow(**values)
