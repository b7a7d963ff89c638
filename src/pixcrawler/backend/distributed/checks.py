"""Checks on a job's stored images: re-validation at a level, job-wide dedup, integrity."""

import hashlib
from typing import Any

from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.finalize import apply_changes, demote_duplicates, job_rows
from pixcrawler.errors import ValidationError
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.levels import ValidationLevel, ValidationProfile, validate_image

logger = get_logger(__name__)


def revalidate(
    ctx: JobContext, *, job_id: str, level: ValidationLevel, chunk_id: int | None = None
) -> dict[str, Any]:
    """Validate the job's (or one chunk's) kept images again at ``level``; demote failures."""
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
    log = logger.bind(operation="validation", job_id=job_id, level=str(level))
    log.bind(checked=len(kept), rejected=len(changed)).info("revalidated")
    return {"checked": len(kept), "rejected": len(changed)}


def check_job_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide exact and near-duplicate pass (also run by ``finalize_job``)."""
    return demote_duplicates(ctx, job_id=job_id)


def check_job_integrity(ctx: JobContext, *, job_id: str) -> dict[str, Any]:
    """Re-hash every kept image in storage; list the missing and the altered ones."""
    _, rows = job_rows(ctx, job_id)
    missing, altered = [], []
    for row in (r for r in rows if r["status"] == "kept"):
        if not ctx.storage.exists(row["file_key"]):
            missing.append(row["file_key"])
        elif hashlib.sha256(ctx.storage.get(row["file_key"])).hexdigest() != row["sha256"]:
            altered.append(row["file_key"])
    logger.bind(operation="validation", job_id=job_id, missing=len(missing),
                altered=len(altered)).info("integrity checked")  # fmt: skip
    return {"missing": missing, "altered": altered}
