"""Reviewing a finished job's images: reject one (it leaves the exports) or restore it.

A rejected image's file moves out of the dataset tree (``jobs/<id>/rejected/…``), its row
becomes ``filtered`` ("rejected by reviewer") with ``rejected_at`` set, and the label files are
written again from the rows; archives made before are deleted, so the next download repackages
the dataset without it. Restoring undoes each step.
"""

from sqlalchemy.orm import Session

from pixcrawler.backend.db import Image, JobStatus, bump_counters, session_scope, utcnow
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.distributed.finalize import export_labels
from pixcrawler.backend.services.owned import owned_image, owned_job
from pixcrawler.backend.storage import StorageProvider
from pixcrawler.errors import BadRequestError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

REJECTED_REASON = "rejected by reviewer"


def dataset_prefix(job_id: str) -> str:
    """The storage folder of a job's dataset tree."""
    return f"jobs/{job_id}/dataset/"


def current_key(image: Image) -> str | None:
    """Where the image's file is now: its dataset key, or the rejected folder's."""
    if image.file_key is None or image.rejected_at is None:
        return image.file_key
    return _rejected_key(image.job_id, image.file_key)


def _rejected_key(job_id: str, file_key: str) -> str:
    return f"jobs/{job_id}/rejected/" + file_key.removeprefix(dataset_prefix(job_id))


def set_rejected(ctx: JobContext, *, user_id: int, job_id: str, image_id: int,
                 rejected: bool) -> Image:  # fmt: skip
    """Reject (``rejected=True``) or restore one kept image of a completed job; idempotent.

    Raises:
        RecordNotFoundError: no such image in the user's job.
        BadRequestError: the job is not completed, or the image was never kept.
    """
    with session_scope(ctx.sessions) as session:
        if owned_job(session, user_id=user_id, job_id=job_id).status != JobStatus.COMPLETED:
            raise BadRequestError("images can be reviewed once the job is completed")
        image = owned_image(session, user_id=user_id, job_id=job_id, image_id=image_id)
        if image.file_key is None:
            raise BadRequestError("only a kept image can be rejected or restored")
        if (image.rejected_at is not None) == rejected:
            return image
        _move(ctx.storage, image, rejected)
        _mark(session, image, rejected)
    export_labels(ctx, job_id=job_id)
    drop_derived(ctx.storage, job_id)
    action = "rejected" if rejected else "restored"
    logger.bind(operation="review", user_id=user_id, job_id=job_id, image_id=image_id).info(
        f"image {action}"
    )
    return image


def _move(storage: StorageProvider, image: Image, rejected: bool) -> None:
    assert image.file_key is not None
    hidden = _rejected_key(image.job_id, image.file_key)
    source, target = (image.file_key, hidden) if rejected else (hidden, image.file_key)
    storage.put(target, storage.get(source))
    storage.delete(source)


def _mark(session: Session, image: Image, rejected: bool) -> None:
    if rejected:
        image.status, image.reason, image.rejected_at = "filtered", REJECTED_REASON, utcnow()
        bump_counters(session, job_id=image.job_id, kept=-1, filtered=1)
    else:
        image.status, image.reason, image.rejected_at = "kept", "", None
        bump_counters(session, job_id=image.job_id, kept=1, filtered=-1)


def drop_derived(storage: StorageProvider, job_id: str) -> None:
    """Delete what was made from the dataset tree (archives, shards, report): now stale."""
    for prefix in (f"archives/{job_id}/", f"exports/{job_id}/"):
        for key in list(storage.list(prefix)):
            storage.delete(key)
