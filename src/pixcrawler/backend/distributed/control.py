"""Job control from outside the workers: cancel a job, retry its failed chunks, resume it.

The client side of distributed jobs (the CLI calls it): it changes the job in the database, then
sends, revokes or looks up chunk tasks through the Celery app. Every chunk task has a known id
(:mod:`pixcrawler.celery_app._ids`), so none needs to have been seen running.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from celery import Celery
from sqlalchemy import update

from pixcrawler.backend.db import utcnow
from pixcrawler.backend.db.chunks import open_chunk_ids, retry_failed_chunks
from pixcrawler.backend.db.jobs import cancel_job, get_job
from pixcrawler.backend.db.models import (
    OPEN_CHUNK_STATUSES,
    OPEN_JOB_STATUSES,
    Chunk,
    JobStatus,
)
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder.jobspec import JobKind
from pixcrawler.celery_app import (
    BROKER_ERRORS,
    chunk_task_id,
    dispatch_chunks,
    finalize_task_id,
    plan_task_id,
    send_finalize,
    send_plan,
)
from pixcrawler.errors import RecordNotFoundError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: Seconds to wait for live workers to say which tasks they hold.
INSPECT_TIMEOUT = 1.0


class JobControlError(Exception):
    """The job cannot be acted on (unknown, already finished, nothing to retry) or the broker
    is unreachable; the message is one line meant for the user."""


@dataclass(frozen=True, slots=True)
class Resumed:
    """What ``resume`` did: chunks sent again, chunks left to the live workers holding them."""

    dispatched: int
    held: int
    planned: bool = False


def cancel(ctx: JobContext, celery: Celery, *, job_id: str) -> int:
    """Cancel the job and its open chunks, then revoke their tasks; returns the tasks revoked.

    Queued tasks are revoked too (their ids are known in advance); one that runs anyway finds
    its job cancelled and does nothing. A running task is not terminated: it finishes its
    downloads, sees the chunk cancelled, and stores nothing.

    Raises:
        JobControlError: no such job, the job already finished, or the broker is unreachable
            (the job is cancelled all the same).
    """
    with _job_errors(job_id), session_scope(ctx.sessions) as session:
        _require_open(get_job(session, job_id=job_id).status, job_id)
        chunk_ids = open_chunk_ids(session, job_id=job_id)
        claimed = cancel_job(session, job_id=job_id)
    task_ids = sorted({*claimed, *(chunk_task_id(job_id, chunk_id) for chunk_id in chunk_ids)})
    with _broker_errors(f"job {job_id} cancelled, but its tasks were not revoked"):
        if task_ids:
            _require_broker(celery)
            celery.control.revoke(task_ids, terminate=False)
    logger.bind(operation="job_cancellation", job_id=job_id, revoked=len(task_ids)).info(
        "job tasks revoked"
    )
    return len(task_ids)


def retry(ctx: JobContext, celery: Celery, *, job_id: str) -> int:
    """Reset the job's failed chunks to pending and send them again (the last to settle
    finalizes the job).

    Returns:
        The number of chunks sent again.

    Raises:
        JobControlError: no such job, it was cancelled, it has no failed chunk, or the broker
            is unreachable (then nothing changed).
    """
    with _broker_errors(f"job {job_id} not retried"):
        _require_broker(celery)
    with _job_errors(job_id), session_scope(ctx.sessions) as session:
        job = get_job(session, job_id=job_id)
        if job.status == JobStatus.CANCELLED:
            raise JobControlError(f"job {job_id} was cancelled; it cannot be retried")
        kind = JobKind(job.kind)
        chunk_ids = [chunk.id for chunk in retry_failed_chunks(session, job_id=job_id)]
    if not chunk_ids:
        raise JobControlError(f"job {job_id} has no failed chunks to retry")
    with _broker_errors(f"job {job_id}: chunks reset but not sent; resume it later"):
        dispatch_chunks(job_id=job_id, kind=kind, chunk_ids=chunk_ids)
    logger.bind(operation="job_retry", job_id=job_id, chunks=len(chunk_ids)).info("job retried")
    return len(chunk_ids)


def resume(ctx: JobContext, celery: Celery, *, job_id: str) -> Resumed:
    """Send again the job's work no live worker holds: for a job whose workers all died.

    The rule (:func:`redispatch`): an open chunk (pending, or running) is resumable when its
    task is neither active, reserved nor scheduled on any worker answering within
    :data:`INSPECT_TIMEOUT`, however recently it was touched. Unlike the 30-minute stale rule of
    ``claim_chunk``, this trusts the user's word that the chunk's worker is gone, and asks the
    live workers to confirm it. The task is sent again under its own id, which ``claim_chunk``
    lets take the chunk over.

    A chunk whose task still waits in the broker queue is sent twice; ``run_chunk`` is
    idempotent, so the second copy stores nothing twice. A job whose chunks are all settled gets
    its finalize again (its message may have been lost with a broker); a job that was never
    planned is planned again.

    Raises:
        JobControlError: no such job, the job already finished, or the broker is unreachable.
    """
    with _job_errors(job_id), session_scope(ctx.sessions) as session:
        _require_open(get_job(session, job_id=job_id).status, job_id)
    with _broker_errors(f"job {job_id} not resumed"):
        _require_broker(celery)
        resumed = redispatch(ctx, celery, job_id=job_id)
    logger.bind(operation="job_resume", job_id=job_id, dispatched=resumed.dispatched,
                held=resumed.held, planned=resumed.planned).info("job resumed")  # fmt: skip
    return resumed


def redispatch(ctx: JobContext, celery: Celery, *, job_id: str) -> Resumed:
    """Send the job's next step again unless a live worker holds it: the plan of a job with no
    chunks, the open chunks, or (all chunks settled) the finalize. Re-sent chunks are touched,
    so the watchdog's idle clock starts again for them.
    """
    with session_scope(ctx.sessions) as session:
        job = get_job(session, job_id=job_id)
        kind, planned = JobKind(job.kind), job.chunks_total > 0
        chunk_ids = open_chunk_ids(session, job_id=job_id)
    if not planned:
        if _held_by_live_workers(celery, [plan_task_id(job_id)]):
            return Resumed(dispatched=0, held=1)
        send_plan(job_id)
        return Resumed(dispatched=0, held=0, planned=True)
    if not chunk_ids:
        held = _held_by_live_workers(celery, [finalize_task_id(job_id)])
        if not held:
            send_finalize(job_id)
        return Resumed(dispatched=0, held=len(held))
    held = _held_by_live_workers(celery, [chunk_task_id(job_id, c) for c in chunk_ids])
    orphaned = [c for c in chunk_ids if chunk_task_id(job_id, c) not in held]
    if orphaned:
        dispatch_chunks(job_id=job_id, kind=kind, chunk_ids=orphaned)
        _touch(ctx, orphaned)
    return Resumed(dispatched=len(orphaned), held=len(held))


def _touch(ctx: JobContext, chunk_ids: Sequence[int]) -> None:
    statement = update(Chunk).where(Chunk.id.in_(chunk_ids), Chunk.status.in_(OPEN_CHUNK_STATUSES))
    with session_scope(ctx.sessions) as session:
        session.execute(statement.values(updated_at=utcnow()))


def _require_broker(celery: Celery) -> None:
    # One quick try before anything is sent: Celery's own publish retries take many seconds.
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)


def _held_by_live_workers(celery: Celery, task_ids: Sequence[str]) -> set[str]:
    """The ids among ``task_ids`` that a live worker has active, reserved or scheduled."""
    if not task_ids:
        return set()
    replies: dict[str, dict[str, Any]] | None = celery.control.inspect(
        timeout=INSPECT_TIMEOUT
    ).query_task(*task_ids)
    return {task_id for reply in (replies or {}).values() for task_id in reply}


def _require_open(status: str, job_id: str) -> None:
    if status not in OPEN_JOB_STATUSES:
        hint = f"; retry its failed chunks: pixcrawler jobs retry {job_id}" * (status == "failed")
        raise JobControlError(f"job {job_id} is already {status}{hint}")


@contextmanager
def _job_errors(job_id: str) -> Iterator[None]:
    try:
        yield
    except RecordNotFoundError as exc:
        raise JobControlError(f"no job {job_id}") from exc


@contextmanager
def _broker_errors(what: str) -> Iterator[None]:
    try:
        yield
    except BROKER_ERRORS as exc:
        raise JobControlError(f"{what}: broker unreachable ({exc})") from exc
