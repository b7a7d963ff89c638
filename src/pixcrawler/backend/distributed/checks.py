"""Checks on a job's stored images: re-validation at a level, job-wide dedup, integrity."""

import hashlib
from typing import Any

from pixcrawler.backend.db.images import dataset_key, iter_images
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.finalize import apply_changes, demote_duplicates, demoted
from pixcrawler.errors import ValidationError
from pixcrawler.records import ManifestRow, Status
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.levels import ValidationLevel, ValidationProfile, validate_image

logger = get_logger(__name__)


def revalidate(
    ctx: JobContext, *, job_id: str, level: ValidationLevel, chunk_id: int | None = None
) -> dict[str, Any]:
    """Validate the job's (or one chunk's) kept images again at ``level``; demote failures."""
    profile = ValidationProfile.from_settings(ctx.settings, level)
    checked, changes = 0, []
    for row in _kept(ctx, job_id, chunk_id):
        checked += 1
        try:
            validate_image(ctx.storage.get(dataset_key(job_id, row.file_name or "")), profile)
        except ValidationError as exc:
            changes.append((row, demoted(row, Status.INVALID, exc.reason)))
    apply_changes(ctx, job_id, changes)
    log = logger.bind(operation="validation", job_id=job_id, level=str(level))
    log.bind(checked=checked, rejected=len(changes)).info("revalidated")
    return {"checked": checked, "rejected": len(changes)}


def check_job_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide exact and near-duplicate pass (also run by ``finalize_job``)."""
    return demote_duplicates(ctx, job_id=job_id)


def check_job_integrity(ctx: JobContext, *, job_id: str) -> dict[str, Any]:
    """Re-hash every kept image in storage; list the missing and the altered ones."""
    missing, altered = [], []
    for row in _kept(ctx, job_id):
        key = dataset_key(job_id, row.file_name or "")
        if not ctx.storage.exists(key):
            missing.append(key)
        elif hashlib.sha256(ctx.storage.get(key)).hexdigest() != row.sha256:
            altered.append(key)
    logger.bind(operation="validation", job_id=job_id, missing=len(missing),
                altered=len(altered)).info("integrity checked")  # fmt: skip
    return {"missing": missing, "altered": altered}


def _kept(ctx: JobContext, job_id: str, chunk_id: int | None = None) -> list[ManifestRow]:
    with session_scope(ctx.sessions) as session:
        return list(iter_images(session, job_id=job_id, status=Status.KEPT, chunk_id=chunk_id))
