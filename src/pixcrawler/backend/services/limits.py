"""Per-user limits (settings, ``user`` role): concurrent jobs, images per job, jobs per day.

A request over a limit is refused before anything is written: 429 for limits that reset with
time or as jobs finish, 403 for one no waiting lifts (images per job).
"""

import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pixcrawler.backend.db import Job, utcnow
from pixcrawler.backend.db.models import OPEN_JOB_STATUSES
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.config import Settings

DAY = timedelta(days=1)


class LimitExceeded(Exception):
    """A per-user limit refused the request; the message names the limit and when it resets."""

    def __init__(self, status: int, limit: str, message: str, reset_at: datetime | None) -> None:
        super().__init__(message)
        self.status, self.limit, self.reset_at = status, limit, reset_at

    @property
    def retry_after(self) -> int | None:
        """Whole seconds until the limit resets, for a ``Retry-After`` header."""
        if self.reset_at is None:
            return None
        return max(1, math.ceil((self.reset_at - utcnow()).total_seconds()))


def check_job_limits(session: Session, *, user_id: int, role: str, spec: JobSpec,
                     settings: Settings) -> None:  # fmt: skip
    """Refuse a new job that would break one of the user's limits.

    Raises:
        LimitExceeded: which limit, and when it resets.
    """
    if role == "admin":
        return
    _images_per_job(spec, settings.limit_images_per_job)
    running = session.scalar(
        select(func.count()).where(Job.user_id == user_id, Job.status.in_(OPEN_JOB_STATUSES))
    )
    if (running or 0) >= settings.limit_concurrent_jobs:
        raise LimitExceeded(
            429, "concurrent_jobs",
            f"limit concurrent_jobs ({settings.limit_concurrent_jobs}) reached; "
            "it resets when one of your jobs finishes", None,
        )  # fmt: skip
    since = utcnow() - DAY
    recent = select(Job.created_at).where(Job.user_id == user_id, Job.created_at > since)
    created = list(session.scalars(recent.order_by(Job.created_at)))
    if len(created) >= settings.limit_jobs_per_day:
        reset = created[0] + DAY
        raise LimitExceeded(
            429, "jobs_per_day",
            f"limit jobs_per_day ({settings.limit_jobs_per_day}) reached; "
            f"it resets at {reset.isoformat(timespec='seconds')}", reset,
        )  # fmt: skip


def _images_per_job(spec: JobSpec, limit: int) -> None:
    if spec.kind is not JobKind.KEYWORDS:
        return  # a URL list's size is known once planned; its rows are capped by the upload size
    asked = (spec.per_class or 0) * len(spec.keywords)
    if spec.per_class is None or asked > limit:
        raise LimitExceeded(
            403, "images_per_job",
            f"limit images_per_job ({limit}) exceeded: {len(spec.keywords)} classes × "
            f"per_class {spec.per_class} asks for more; it does not reset", None,
        )  # fmt: skip
