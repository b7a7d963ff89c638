"""Settle a chunk and learn whether it was its job's last: the database says when to finalize.

There is no chord. A chord keeps its state in the result backend, and a Redis restarted empty
loses it, so nothing would ever finalize the job. The chunk rows are the truth instead: the task
that settles a job's last open chunk sends ``finalize_job``, and the watchdog
(:mod:`~pixcrawler.backend.distributed.watchdog`) sends whatever a lost message left undone.

Exactly one settler sees the job settled. ``finish_chunk`` updates the chunk row, then bumps the
job's counters, which locks the job row until the transaction commits (SQLite serialises every
writer anyway). The check below runs after that lock is taken, so of two chunks settling at once
the second sees the first one's commit, and the first does not see the second's.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pixcrawler.backend.db.chunks import finish_chunk
from pixcrawler.backend.db.models import (
    OPEN_CHUNK_STATUSES,
    OPEN_JOB_STATUSES,
    Chunk,
    Job,
)


@dataclass(frozen=True, slots=True)
class Settlement:
    """What settling a chunk did: whether this call settled it, and whether it was the last."""

    settled: bool
    last: bool


NOT_SETTLED = Settlement(settled=False, last=False)


def settle_chunk(
    session: Session, *, job_id: str, chunk_id: int, error: str | None = None
) -> Settlement:
    """Mark the running chunk ``done`` (or ``failed`` with ``error``) and count it on the job.

    Returns:
        ``settled`` False when the chunk was not running (settled by another delivery, or
        cancelled): nothing changed. ``last`` True when the open job has no pending or running
        chunk left: the caller sends ``finalize_job`` once its transaction has committed.
    """
    if not finish_chunk(session, chunk_id=chunk_id, error=error):
        return NOT_SETTLED
    return Settlement(settled=True, last=job_settled(session, job_id=job_id))


def job_settled(session: Session, *, job_id: str) -> bool:
    """Whether the job is open (pending or running) and none of its chunks is."""
    open_chunk = exists().where(Chunk.job_id == job_id, Chunk.status.in_(OPEN_CHUNK_STATUSES))
    statement = select(Job.id).where(
        Job.id == job_id, Job.status.in_(OPEN_JOB_STATUSES), ~open_chunk
    )
    return session.scalar(statement) is not None
