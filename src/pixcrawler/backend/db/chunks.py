"""Chunk lifecycle: add, claim, finish, retry and resume the units of work of a job.

A chunk moves ``pending → running → done | failed``; ``cancel_job`` moves open chunks to
``cancelled``. Each move is one conditional ``UPDATE`` whose row count says whether it happened,
so two workers handed the same chunk cannot both claim it, nor both count it finished.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db._statements import conflict_insert, execute_update
from pixcrawler.backend.db.jobs import bump_counters, get_job
from pixcrawler.backend.db.models import OPEN_CHUNK_STATUSES, Chunk, ChunkStatus, Job, JobStatus
from pixcrawler.config import Settings
from pixcrawler.errors import RecordNotFoundError

#: A running chunk untouched for this long is presumed orphaned by a dead worker: the default
#: of ``PIXCRAWLER_STALE_AFTER``, which callers with settings pass instead.
STALE_AFTER = timedelta(seconds=Settings.model_fields["stale_after"].default)
#: Deliveries of a chunk whose worker died under it (OOM-killed, SIGKILL) before it is failed:
#: with late acknowledgement a chunk that kills its worker would otherwise come back forever.
MAX_DELIVERIES = 3
WORKER_LOST = f"worker lost {MAX_DELIVERIES} times"
_INSERT_BATCH = 500


def add_chunks(
    session: Session,
    *,
    job_id: str,
    chunks: list[tuple[str, dict[str, Any]]],
    start: int = 0,
) -> list[Chunk]:
    """Add ``(kind, payload)`` chunks at indices ``start, start + 1, …``; idempotent.

    An index the job already has keeps its existing row, so replaying the same call (a
    redelivered planning task) adds nothing. ``chunks_total`` is recounted from the table.

    Returns:
        The job's chunks at those indices, in index order.

    Raises:
        RecordNotFoundError: no such job.
    """
    get_job(session, job_id=job_id)
    rows = [
        {"job_id": job_id, "index": start + offset, "kind": kind, "payload": payload}
        for offset, (kind, payload) in enumerate(chunks)
    ]
    statement = conflict_insert(session, Chunk.__table__).on_conflict_do_nothing(
        index_elements=["job_id", "index"]
    )
    for first in range(0, len(rows), _INSERT_BATCH):
        session.execute(statement, rows[first : first + _INSERT_BATCH])
    total = select(func.count()).where(Chunk.job_id == job_id).scalar_subquery()
    execute_update(session, update(Job).where(Job.id == job_id).values(chunks_total=total))
    indices = and_(Chunk.index >= start, Chunk.index < start + len(rows))
    return list(
        session.scalars(
            select(Chunk)
            .where(Chunk.job_id == job_id, indices)
            .order_by(Chunk.index)
            .execution_options(populate_existing=True)
        )
    )


def claim_chunk(
    session: Session, *, chunk_id: int, task_id: str, stale_after: timedelta = STALE_AFTER
) -> Chunk | None:
    """Mark the chunk running for ``task_id`` and count the attempt.

    Claimable: a pending or failed chunk; a running one only when ``task_id`` already holds it
    (a late-acknowledged task redelivered after its worker died) or it is stale.

    Returns:
        The claimed chunk, or None: it is done or cancelled, its job is cancelled, or another
        live task is running it.

    Raises:
        RecordNotFoundError: no such chunk.
    """
    now = utcnow()
    takeover = and_(
        Chunk.status == ChunkStatus.RUNNING,
        or_(Chunk.task_id == task_id, Chunk.updated_at < now - stale_after),
    )
    if _claim(session, chunk_id, task_id, Chunk.status == ChunkStatus.FAILED):
        chunk = _get_chunk(session, chunk_id)
        bump_counters(session, job_id=chunk.job_id, chunks_failed=-1)
    elif _claim(session, chunk_id, task_id, or_(Chunk.status == ChunkStatus.PENDING, takeover)):
        chunk = _get_chunk(session, chunk_id)
    else:
        _get_chunk(session, chunk_id)
        return None
    pending_job = update(Job).where(Job.id == chunk.job_id, Job.status == JobStatus.PENDING)
    execute_update(session, pending_job.values(status=JobStatus.RUNNING, started_at=now))
    return chunk


def worker_lost_too_often(session: Session, *, chunk_id: int, task_id: str, retries: int) -> bool:
    """Whether this delivery of a running chunk is one too many: its worker died 3 times.

    Each claim counts an attempt. A task's planned retries (``self.retry``) are claims too, but
    its message says how many there were (``retries``); every other claim of the chunk, still
    running under the same task id, is a delivery whose worker died before it settled or
    retried. ``attempts - retries`` of them may happen before this claim: at
    :data:`MAX_DELIVERIES`, the caller fails the chunk with :data:`WORKER_LOST`.
    """
    chunk = _get_chunk(session, chunk_id)
    redelivered = chunk.status == ChunkStatus.RUNNING and chunk.task_id == task_id
    return redelivered and chunk.attempts - retries >= MAX_DELIVERIES


def finish_chunk(session: Session, *, chunk_id: int, error: str | None = None) -> bool:
    """Settle a running chunk: ``done``, or ``failed`` with ``error``; counts it on the job.

    Call it once the chunk's work is final (a task still retrying leaves the chunk running).

    Returns:
        True if the chunk was running and is now settled; False if it was not running (already
        settled by another delivery, or cancelled meanwhile), which changes nothing.

    Raises:
        RecordNotFoundError: no such chunk.
    """
    status = ChunkStatus.DONE if error is None else ChunkStatus.FAILED
    running = update(Chunk).where(Chunk.id == chunk_id, Chunk.status == ChunkStatus.RUNNING)
    settled = execute_update(
        session, running.values(status=status, error=error, updated_at=utcnow())
    )
    chunk = _get_chunk(session, chunk_id)
    if not settled:
        return False
    counter = "chunks_done" if error is None else "chunks_failed"
    bump_counters(session, job_id=chunk.job_id, **{counter: 1})
    return True


def touch_chunk(session: Session, *, chunk_id: int) -> None:
    """Refresh a running chunk's ``updated_at``, so a long chunk is not taken for stale."""
    running = update(Chunk).where(Chunk.id == chunk_id, Chunk.status == ChunkStatus.RUNNING)
    execute_update(session, running.values(updated_at=utcnow()))


def retry_failed_chunks(session: Session, *, job_id: str) -> list[Chunk]:
    """Move the job's failed chunks back to pending (and a failed job back to running).

    Returns:
        The chunks to dispatch again, in index order; empty for a cancelled job.

    Raises:
        RecordNotFoundError: no such job.
    """
    job = get_job(session, job_id=job_id)
    if job.status == JobStatus.CANCELLED:
        return []
    reset = session.scalars(
        update(Chunk)
        .where(Chunk.job_id == job_id, Chunk.status == ChunkStatus.FAILED)
        # attempts start again: the deliveries cap counts from this retry on
        .values(status=ChunkStatus.PENDING, error=None, attempts=0, updated_at=utcnow())
        .returning(Chunk.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not reset:
        return []
    bump_counters(session, job_id=job_id, chunks_failed=-len(reset))
    failed_job = update(Job).where(Job.id == job_id, Job.status == JobStatus.FAILED)
    reopened = failed_job.values(status=JobStatus.RUNNING, error=None, finished_at=None)
    execute_update(session, reopened)
    return _chunks(session, Chunk.id.in_(reset))


def resumable_chunks(
    session: Session, *, job_id: str, stale_after: timedelta = STALE_AFTER
) -> list[Chunk]:
    """The chunks to dispatch again after every worker died: pending, or running but stale.

    A running chunk is stale when its ``updated_at`` is older than ``stale_after``;
    :func:`claim_chunk` lets a new task take it over.
    """
    stale = and_(Chunk.status == ChunkStatus.RUNNING, Chunk.updated_at < utcnow() - stale_after)
    return _chunks(session, Chunk.job_id == job_id, or_(Chunk.status == ChunkStatus.PENDING, stale))


def open_chunk_ids(session: Session, *, job_id: str) -> list[int]:
    """Ids of the job's pending and running chunks (work not settled yet), in index order."""
    statement = select(Chunk.id).where(
        Chunk.job_id == job_id, Chunk.status.in_(OPEN_CHUNK_STATUSES)
    )
    return list(session.scalars(statement.order_by(Chunk.index)))


def chunk_counts(session: Session, *, job_id: str) -> dict[str, int]:
    """How many of the job's chunks are in each status; a status with none is left out."""
    rows = session.execute(
        select(Chunk.status, func.count()).where(Chunk.job_id == job_id).group_by(Chunk.status)
    )
    return {status: count for status, count in rows}


def _claim(session: Session, chunk_id: int, task_id: str, condition: ColumnElement[bool]) -> bool:
    live_job = select(Job.id).where(Job.status != JobStatus.CANCELLED)
    statement = (
        update(Chunk)
        .where(Chunk.id == chunk_id, condition, Chunk.job_id.in_(live_job))
        .values(
            status=ChunkStatus.RUNNING,
            attempts=Chunk.attempts + 1,
            task_id=task_id,
            error=None,
            updated_at=utcnow(),
        )
    )
    return bool(execute_update(session, statement))


def _get_chunk(session: Session, chunk_id: int) -> Chunk:
    chunk = session.get(Chunk, chunk_id, populate_existing=True)
    if chunk is None:
        raise RecordNotFoundError(f"no chunk {chunk_id}")
    return chunk


def _chunks(session: Session, *conditions: ColumnElement[bool]) -> list[Chunk]:
    statement = select(Chunk).where(*conditions).order_by(Chunk.index)
    return list(session.scalars(statement.execution_options(populate_existing=True)))
