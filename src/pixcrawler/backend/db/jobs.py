"""Job lifecycle: create, count, report progress, cancel and complete jobs.

Every state change is one conditional ``UPDATE`` (``… WHERE status IN (…)``), never a read then a
write in Python, so concurrent workers cannot lose an increment or resurrect a cancelled job.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select, true, update
from sqlalchemy.orm import Session

from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db._statements import execute_update
from pixcrawler.backend.db.models import (
    IMAGE_COUNTERS,
    JOB_COUNTERS,
    OPEN_CHUNK_STATUSES,
    OPEN_JOB_STATUSES,
    Chunk,
    ChunkStatus,
    Image,
    Job,
    JobStatus,
)
from pixcrawler.builder.jobspec import JobSpec
from pixcrawler.errors import RecordNotFoundError
from pixcrawler.records import Status
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class JobProgress:
    """A snapshot of one job: its status, chunk bookkeeping and image totals."""

    job_id: str
    kind: str
    status: str
    error: str | None
    chunks_total: int
    chunks_done: int
    chunks_failed: int
    candidates: int
    kept: int
    failed: int
    duplicates: int
    invalid: int
    filtered: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def fraction(self) -> float:
        """Share of chunks settled (done or failed), 0.0 to 1.0; 0.0 before any chunk exists."""
        if self.chunks_total == 0:
            return 0.0
        return min(1.0, (self.chunks_done + self.chunks_failed) / self.chunks_total)


def get_job(session: Session, *, job_id: str) -> Job:
    """The job ``job_id``, re-read from the database.

    Raises:
        RecordNotFoundError: no such job.
    """
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise RecordNotFoundError(f"no job {job_id!r}")
    return job


def create_job(
    session: Session, *, user_id: int | None, spec: JobSpec, dataset_id: int | None = None
) -> Job:
    """Insert a pending job and flush it, so its id and ``created_at`` are set.

    Args:
        user_id: the owner, or None for a job started outside the API (the CLI).
        spec: the build request; stored as ``spec.to_json()``, its kind in ``Job.kind``.
        dataset_id: the dataset the job fills, if any.
    """
    job = Job(user_id=user_id, kind=spec.kind, spec=spec.to_json(), dataset_id=dataset_id)
    session.add(job)
    session.flush()
    logger.bind(operation="job_creation", user_id=user_id, job_id=job.id, kind=job.kind).info(
        "job created"
    )
    return job


def job_spec(session: Session, *, job_id: str) -> JobSpec:
    """The job's spec, read back from its stored JSON.

    Raises:
        RecordNotFoundError: no such job.
    """
    return JobSpec.model_validate(get_job(session, job_id=job_id).spec)


def set_spec(session: Session, *, job_id: str, spec: JobSpec) -> None:
    """Replace the job's spec (its URL lists were uploaded after it was created)."""
    get_job(session, job_id=job_id).spec = spec.to_json()


def bump_counters(session: Session, *, job_id: str, **deltas: int) -> None:
    """Add ``deltas`` to the job's counters in one atomic ``UPDATE`` (``kept = kept + :n``).

    Example: ``bump_counters(session, job_id=job_id, kept=12, duplicates=3)``.

    Raises:
        ValueError: a name is not one of :data:`~pixcrawler.backend.db.models.JOB_COUNTERS`.
        RecordNotFoundError: no such job.
    """
    unknown = set(deltas) - JOB_COUNTERS
    if unknown:
        raise ValueError(f"not job counters: {sorted(unknown)}")
    changes = {name: getattr(Job, name) + delta for name, delta in deltas.items() if delta}
    if not changes:
        return
    if not execute_update(session, update(Job).where(Job.id == job_id).values(changes)):
        raise RecordNotFoundError(f"no job {job_id!r}")
    _expire_cached_job(session, job_id)


def recount_images(session: Session, *, job_id: str) -> None:
    """Set the job's image counters to what its rows say now (after job-wide dedup and caps).

    Chunks bump the counters as they settle; a job-wide step that demotes rows then makes them
    overstate the dataset, so the finalize sets them from the table, which is idempotent.
    """
    counts = dict.fromkeys(IMAGE_COUNTERS.values(), 0)
    statement = (
        select(Image.status, func.count()).where(Image.job_id == job_id).group_by(Image.status)
    )
    for status, count in session.execute(statement):
        counts[IMAGE_COUNTERS[Status(status)]] += count
    _update_job(session, job_id, true(), candidates=sum(counts.values()), **counts)


def job_progress(session: Session, *, job_id: str) -> JobProgress:
    """The job's current status and totals.

    Raises:
        RecordNotFoundError: no such job.
    """
    job = get_job(session, job_id=job_id)
    names = [name for name in JobProgress.__dataclass_fields__ if name != "job_id"]
    return JobProgress(job_id=job.id, **{name: getattr(job, name) for name in names})


def cancel_job(session: Session, *, job_id: str) -> list[str]:
    """Cancel the job and its pending or running chunks.

    Returns:
        The Celery task ids of the chunks just cancelled, for the caller to revoke; empty when
        the job had already finished.

    Raises:
        RecordNotFoundError: no such job.
    """
    now = utcnow()
    cancelled = _update_job(
        session,
        job_id,
        Job.status.in_(OPEN_JOB_STATUSES),
        status=JobStatus.CANCELLED,
        finished_at=now,
    )
    if not cancelled:
        get_job(session, job_id=job_id)
        return []
    open_chunks = and_(Chunk.job_id == job_id, Chunk.status.in_(OPEN_CHUNK_STATUSES))
    task_ids = session.scalars(
        select(Chunk.task_id).where(open_chunks, Chunk.task_id.is_not(None)).order_by(Chunk.index)
    ).all()
    cancelled_chunks = update(Chunk).where(open_chunks)
    execute_update(session, cancelled_chunks.values(status=ChunkStatus.CANCELLED, updated_at=now))
    logger.bind(operation="job_cancellation", job_id=job_id, tasks=len(task_ids)).info(
        "job cancelled"
    )
    return [task_id for task_id in task_ids if task_id is not None]


def complete_job_if_done(session: Session, *, job_id: str) -> bool:
    """Finish the job once no chunk is pending or running: ``failed`` if a chunk failed, else
    ``completed``. A job with no chunks completes at once.

    Call it after :func:`~pixcrawler.backend.db.chunks.finish_chunk`, in the same transaction or
    later. The job row is locked first (``SELECT … FOR UPDATE``; SQLite serialises writers
    anyway), so of two last finishers the second sees the first's chunk settled: exactly one
    completes the job, instead of each seeing the other still running.

    Returns:
        True if this call finished the job; False if work remains or the job was already final.

    Raises:
        RecordNotFoundError: no such job.
    """
    locked = session.scalar(select(Job.id).where(Job.id == job_id).with_for_update())
    if locked is None:
        raise RecordNotFoundError(f"no job {job_id!r}")

    def chunk_in(*statuses: str) -> Any:
        return exists().where(Chunk.job_id == job_id, Chunk.status.in_(statuses))

    any_failed = chunk_in(ChunkStatus.FAILED)
    finished = _update_job(
        session,
        job_id,
        and_(Job.status.in_(OPEN_JOB_STATUSES), ~chunk_in(*OPEN_CHUNK_STATUSES)),
        status=case((any_failed, JobStatus.FAILED), else_=JobStatus.COMPLETED),
        error=case((any_failed, "some chunks failed"), else_=None),
        finished_at=utcnow(),
    )
    if finished:
        status = get_job(session, job_id=job_id).status
        logger.bind(operation="job_completion", job_id=job_id, status=status).info("job finished")
    return finished


def fail_job(session: Session, *, job_id: str, error: str) -> bool:
    """Mark an open job ``failed`` with ``error`` (a job-wide step, such as planning, gave up).

    Its chunks are left as they are: :func:`~pixcrawler.backend.db.chunks.retry_failed_chunks`
    or :func:`~pixcrawler.backend.db.chunks.resumable_chunks` can pick the work up again.

    Returns:
        True if the job was pending or running and is now failed; False if it was already final.

    Raises:
        RecordNotFoundError: no such job.
    """
    failed = _update_job(
        session,
        job_id,
        Job.status.in_(OPEN_JOB_STATUSES),
        status=JobStatus.FAILED,
        error=error,
        finished_at=utcnow(),
    )
    if not failed:
        get_job(session, job_id=job_id)
        return False
    logger.bind(operation="job_failure", job_id=job_id, error=error).warning("job failed")
    return True


def list_jobs(session: Session, *, user_id: int | None = None, limit: int = 50) -> list[Job]:
    """The newest jobs first, all users' or only ``user_id``'s."""
    statement = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if user_id is not None:
        statement = statement.where(Job.user_id == user_id)
    return list(session.scalars(statement))


def _update_job(session: Session, job_id: str, condition: Any, **values: Any) -> bool:
    """Apply ``values`` to the job if ``condition`` holds; whether it did."""
    statement = update(Job).where(Job.id == job_id, condition).values(**values)
    changed = execute_update(session, statement)
    _expire_cached_job(session, job_id)
    return bool(changed)


def _expire_cached_job(session: Session, job_id: str) -> None:
    # Core-style updates bypass the identity map; a cached Job must reload its new values.
    cached = session.identity_map.get(session.identity_key(Job, job_id))
    if cached is not None:
        session.expire(cached)


def find_job_ids(session: Session, *, prefix: str, limit: int = 10) -> list[str]:
    """The ids of the jobs ``prefix`` names, like git: the job itself if it is a whole id, else
    every job whose id starts with it (at most ``limit``, sorted)."""
    if session.get(Job, prefix) is not None:
        return [prefix]
    statement = select(Job.id).where(Job.id.startswith(prefix, autoescape=True))
    return list(session.scalars(statement.order_by(Job.id).limit(limit)))
