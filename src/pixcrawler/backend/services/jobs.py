"""Jobs on behalf of a user: submit a :class:`JobSpec`, list, per-class progress."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pixcrawler.backend.db import Image, Job, session_scope
from pixcrawler.backend.distributed import JobContext, submit_job
from pixcrawler.builder.jobspec import JobSpec
from pixcrawler.celery_app import send_plan
from pixcrawler.errors import RecordNotFoundError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: Where a user's uploaded URL lists live; a job may only name its owner's.
UPLOADS = "uploads"


@dataclass(frozen=True, slots=True)
class ClassCount:
    """One class's images by status (``rejected`` counts reviewer rejections)."""

    label: str
    counts: dict[str, int]


def uploads_prefix(user_id: int) -> str:
    """The storage folder of ``user_id``'s uploaded URL lists."""
    return f"{UPLOADS}/{user_id}/"


def start_job(ctx: JobContext, *, user_id: int, spec: JobSpec) -> str:
    """Record the job and send its plan task; returns the job id.

    Raises:
        RecordNotFoundError: the spec names a URL list that is not the user's upload.
    """
    mine = uploads_prefix(user_id)
    for key in spec.source_keys:
        if not key.startswith(mine) or "/" in key[len(mine) :] or not ctx.storage.exists(key):
            raise RecordNotFoundError(f"no such upload {key!r}")
    job_id = submit_job(ctx, spec, user_id=user_id)
    send_plan(job_id)
    logger.bind(operation="job_creation", user_id=user_id, job_id=job_id, kind=str(spec.kind)).info(
        "job submitted through the API"
    )
    return job_id


def list_user_jobs(
    session: Session, *, user_id: int, after: str | None, limit: int, status: str | None
) -> list[Job]:
    """The user's jobs, newest first, after the job ``after`` (a cursor) when given."""
    statement = select(Job).where(Job.user_id == user_id)
    if status is not None:
        statement = statement.where(Job.status == status)
    if after is not None:
        pivot = session.scalars(select(Job).where(Job.id == after, Job.user_id == user_id)).first()
        if pivot is None:
            raise RecordNotFoundError("bad cursor")
        statement = statement.where(
            (Job.created_at < pivot.created_at)
            | ((Job.created_at == pivot.created_at) & (Job.id > pivot.id))
        )
    ordered = statement.order_by(Job.created_at.desc(), Job.id).limit(limit)
    return list(session.scalars(ordered))


def class_counts(session: Session, *, job_id: str) -> list[ClassCount]:
    """Per-class image counts by status, reviewer rejections counted apart."""
    rows = session.execute(
        select(Image.label, Image.status, Image.rejected_at.is_not(None), func.count())
        .where(Image.job_id == job_id)
        .group_by(Image.label, Image.status, Image.rejected_at.is_not(None))
        .order_by(Image.label)
    ).all()
    by_label: dict[str, dict[str, int]] = {}
    for label, state, rejected, count in rows:
        name = "rejected" if rejected else state
        counts = by_label.setdefault(label, {})
        counts[name] = counts.get(name, 0) + count
    return [ClassCount(label, counts) for label, counts in by_label.items()]


def job_exists_for(ctx: JobContext, *, user_id: int, job_id: str) -> bool:
    """Whether ``job_id`` is one of ``user_id``'s jobs (a fresh transaction)."""
    with session_scope(ctx.sessions) as session:
        found = session.scalar(select(Job.id).where(Job.id == job_id, Job.user_id == user_id))
    return found is not None
