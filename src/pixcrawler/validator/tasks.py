"""Celery tasks for validation: re-check a completed job's stored images, integrity, dedup.

Who sends each one (ARCHITECTURE.md, "Task callers"):

- ``validate_fast`` / ``validate_medium`` / ``validate_slow``: ``pixcrawler jobs validate ID
  --level L`` and the API's ``POST /jobs/{id}/revalidate``; each sends the chain
  ``validate_chunk`` × the job's chunks → ``generate_labels``;
- ``validate_chunk``: that chain;
- ``check_integrity``, ``check_duplicates``: ``pixcrawler jobs check ID`` (a chain ending in
  ``generate_labels``).

No failure hook: a check changes a completed job's rows only when it succeeds, and a failed one
leaves the job as it was; the caller reads the failure from the task's result, and running the
command again is safe (a check finds nothing new to demote).
"""

from typing import Any

from celery import Task

from pixcrawler.backend.distributed import (
    check_job_duplicates,
    check_job_integrity,
    checked_chunks,
    job_context,
    require_completed,
    revalidate,
)
from pixcrawler.celery_app import BUILDER, VALIDATOR, Step, pixcrawler_task, send_chain
from pixcrawler.validator.levels import ValidationLevel


@pixcrawler_task()
def validate_chunk(
    self: Task, *, job_id: str, chunk_id: int, level: str = "medium"
) -> dict[str, Any]:
    """Re-validate the kept images of one chunk at ``level``; rejects are marked and removed."""
    return revalidate(job_context(), job_id=job_id, chunk_id=chunk_id, level=ValidationLevel(level))


@pixcrawler_task()
def check_duplicates(self: Task, *, job_id: str) -> int:
    """Job-wide exact and near-duplicate pass; returns how many images it demoted."""
    return check_job_duplicates(job_context(), job_id=job_id)


@pixcrawler_task()
def check_integrity(self: Task, *, job_id: str) -> dict[str, int]:
    """Re-hash every stored image against its recorded sha256; demote missing or altered ones."""
    return check_job_integrity(job_context(), job_id=job_id)


@pixcrawler_task()
def validate_fast(self: Task, *, job_id: str, run_id: str | None = None) -> list[str]:
    """Integrity and size checks on every kept image of the job, chunk by chunk."""
    return _revalidate_job(job_id, run_id or self.request.id, ValidationLevel.FAST)


@pixcrawler_task()
def validate_medium(self: Task, *, job_id: str, run_id: str | None = None) -> list[str]:
    """Fast checks plus quality gates on every kept image of the job, chunk by chunk."""
    return _revalidate_job(job_id, run_id or self.request.id, ValidationLevel.MEDIUM)


@pixcrawler_task()
def validate_slow(self: Task, *, job_id: str, run_id: str | None = None) -> list[str]:
    """Medium checks plus EXIF on every kept image of the job, chunk by chunk."""
    return _revalidate_job(job_id, run_id or self.request.id, ValidationLevel.SLOW)


def _revalidate_job(job_id: str, run_id: str, level: ValidationLevel) -> list[str]:
    """Send ``validate_chunk`` for each of the job's chunks, then ``generate_labels``, as one
    chain (a chunk at a time: each demotion reads and writes the job's rows); returns the ids
    of the chain's steps, under ``run_id``, so the caller can follow them."""
    ctx = job_context()
    require_completed(ctx, job_id=job_id)
    steps: list[Step] = [
        (f"{VALIDATOR}.validate_chunk", {"job_id": job_id, "chunk_id": chunk_id,
                                         "level": str(level)}, f"{run_id}-chunk-{chunk_id}")
        for chunk_id in checked_chunks(ctx, job_id=job_id)
    ]  # fmt: skip
    steps.append((f"{BUILDER}.generate_labels", {"job_id": job_id}, f"{run_id}-labels"))
    send_chain(steps)
    return [task_id for _, _, task_id in steps]
