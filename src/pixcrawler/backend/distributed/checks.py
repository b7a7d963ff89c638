"""Checks on a completed job's stored images: re-validation at a level, integrity, job-wide dedup.

Each check demotes what fails it (status, reason, the file removed from storage when no kept
row points at it) and sets the job's counters from its rows again; the exports are rewritten
afterwards (``generate_labels``), so the dataset in storage matches its rows. Every check is
idempotent: run again, it finds nothing new to demote.
"""

import hashlib
from typing import Any

from sqlalchemy import select

from pixcrawler.backend.db.images import dataset_key, iter_images
from pixcrawler.backend.db.jobs import get_job, recount_images
from pixcrawler.backend.db.models import Chunk, ChunkStatus, JobStatus
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.finalize import apply_changes, demote_duplicates, demoted
from pixcrawler.errors import JobNotCompletedError, ValidationError
from pixcrawler.records import ManifestRow, Status
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.levels import ValidationLevel, ValidationProfile, validate_image

logger = get_logger(__name__)


def require_completed(ctx: JobContext, *, job_id: str) -> None:
    """Raise :class:`JobNotCompletedError` unless the job is completed.

    Raises:
        RecordNotFoundError: no such job.
    """
    with session_scope(ctx.sessions) as session:
        status = get_job(session, job_id=job_id).status
    if status != JobStatus.COMPLETED:
        raise JobNotCompletedError(f"job {job_id} is {status}; only a completed job is checked")


def checked_chunks(ctx: JobContext, *, job_id: str) -> list[int]:
    """The ids of the job's chunks that hold images (the done ones), in order."""
    statement = select(Chunk.id).where(Chunk.job_id == job_id, Chunk.status == ChunkStatus.DONE)
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(statement.order_by(Chunk.index)))


def revalidate(
    ctx: JobContext, *, job_id: str, level: ValidationLevel, chunk_id: int | None = None
) -> dict[str, Any]:
    """Validate the job's (or one chunk's) kept images again at ``level``; demote failures."""
    log = logger.bind(operation="validation", job_id=job_id, chunk_id=chunk_id, level=str(level))
    log.info("revalidating")
    profile = ValidationProfile.from_settings(ctx.settings, level)
    checked, changes = 0, []
    for row in _kept(ctx, job_id, chunk_id):
        checked += 1
        try:
            validate_image(ctx.storage.get(dataset_key(job_id, row.file_name or "")), profile)
        except ValidationError as exc:
            changes.append((row, demoted(row, Status.INVALID, exc.reason)))
    _settle(ctx, job_id, changes)
    log.bind(checked=checked, rejected=len(changes)).info("revalidated")
    return {"checked": checked, "rejected": len(changes)}


def check_job_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide exact and near-duplicate pass (the finalize's); returns the rows demoted."""
    count = demote_duplicates(ctx, job_id=job_id)
    _settle(ctx, job_id, [])
    return count


def check_job_integrity(ctx: JobContext, *, job_id: str) -> dict[str, int]:
    """Re-hash every kept image in storage against its recorded sha256; a missing or altered
    file is demoted (``invalid``), so the exports no longer list it."""
    log = logger.bind(operation="validation", job_id=job_id)
    log.info("checking integrity")
    checked, missing, altered = 0, [], []
    for row in _kept(ctx, job_id):
        checked += 1
        key = dataset_key(job_id, row.file_name or "")
        if not ctx.storage.exists(key):
            missing.append((row, demoted(row, Status.INVALID, "missing from storage")))
        elif hashlib.sha256(ctx.storage.get(key)).hexdigest() != row.sha256:
            reason = "altered in storage (sha256 differs)"
            altered.append((row, demoted(row, Status.INVALID, reason)))
    _settle(ctx, job_id, missing + altered)
    log.bind(checked=checked, missing=len(missing), altered=len(altered)).info("integrity checked")
    return {"checked": checked, "missing": len(missing), "altered": len(altered)}


def _settle(ctx: JobContext, job_id: str, changes: list[tuple[ManifestRow, ManifestRow]]) -> None:
    apply_changes(ctx, job_id, changes)
    with session_scope(ctx.sessions) as session:
        recount_images(session, job_id=job_id)  # a demotion moves an image between counters


def _kept(ctx: JobContext, job_id: str, chunk_id: int | None = None) -> list[ManifestRow]:
    with session_scope(ctx.sessions) as session:
        return list(iter_images(session, job_id=job_id, status=Status.KEPT, chunk_id=chunk_id))
