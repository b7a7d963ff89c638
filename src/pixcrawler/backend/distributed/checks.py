"""Checks on a completed job's stored images: re-validation at a level, integrity, job-wide dedup.

Each check demotes what fails it (status, reason, the file removed from storage when no kept
row points at it) and brings the job's counters in line; the exports are rewritten afterwards
(``generate_labels``), so the dataset in storage matches its rows again. Every check is
idempotent: run again, it finds nothing new to demote.
"""

import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from pixcrawler.backend.db.jobs import bump_counters, get_job
from pixcrawler.backend.db.models import Chunk, ChunkStatus, Image, JobStatus
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.finalize import apply_changes, demote_duplicates, job_rows
from pixcrawler.errors import JobNotCompletedError, ValidationError
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.levels import ValidationLevel, ValidationProfile, validate_image

logger = get_logger(__name__)

#: Image status → the job counter that counts it.
_COUNTERS = {"kept": "kept", "download_failed": "failed", "duplicate": "duplicates",
             "invalid": "invalid", "filtered": "filtered"}  # fmt: skip


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
    _, rows = job_rows(ctx, job_id)
    profile = ValidationProfile.from_settings(ctx.settings, level)
    kept = [r for r in rows if r["status"] == "kept" and chunk_id in (None, r["chunk_id"])]
    changed = []
    for row in kept:
        try:
            validate_image(ctx.storage.get(row["file_key"]), profile)
        except ValidationError as exc:
            row["status"], row["reason"] = "invalid", exc.reason
            changed.append(row)
    apply_changes(ctx, rows, changed)
    sync_counters(ctx, job_id=job_id)
    log.bind(checked=len(kept), rejected=len(changed)).info("revalidated")
    return {"checked": len(kept), "rejected": len(changed)}


def check_job_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide exact and near-duplicate pass (the finalize's); returns the rows demoted."""
    demoted = demote_duplicates(ctx, job_id=job_id)
    sync_counters(ctx, job_id=job_id)
    return demoted


def check_job_integrity(ctx: JobContext, *, job_id: str) -> dict[str, int]:
    """Re-hash every kept image in storage against its recorded sha256; a missing or altered
    file is demoted (``invalid``), so the exports no longer list it."""
    log = logger.bind(operation="validation", job_id=job_id)
    log.info("checking integrity")
    _, rows = job_rows(ctx, job_id)
    kept = [r for r in rows if r["status"] == "kept"]
    missing, altered = [], []
    for row in kept:
        if not ctx.storage.exists(row["file_key"]):
            row["status"], row["reason"] = "invalid", "missing from storage"
            missing.append(row)
        elif hashlib.sha256(ctx.storage.get(row["file_key"])).hexdigest() != row["sha256"]:
            row["status"], row["reason"] = "invalid", "altered in storage (sha256 differs)"
            altered.append(row)
    apply_changes(ctx, rows, missing + altered)
    sync_counters(ctx, job_id=job_id)
    log.bind(checked=len(kept), missing=len(missing), altered=len(altered)).info(
        "integrity checked"
    )
    return {"checked": len(kept), "missing": len(missing), "altered": len(altered)}


def sync_counters(ctx: JobContext, *, job_id: str) -> None:
    """Set the job's image counters to what its rows say (a demotion moves one between two)."""
    statement = (
        select(Image.status, func.count()).where(Image.job_id == job_id).group_by(Image.status)
    )
    with session_scope(ctx.sessions) as session:
        counted = Counter({_COUNTERS[status]: n for status, n in session.execute(statement)})
        job = get_job(session, job_id=job_id)
        deltas = {name: counted[name] - getattr(job, name) for name in _COUNTERS.values()}
        bump_counters(session, job_id=job_id, **deltas)
