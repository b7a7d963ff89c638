"""Celery tasks for validation: re-check a job's stored images at a level, dedup, integrity."""

from typing import Any

from celery import Task

from pixcrawler.backend.distributed import job_context
from pixcrawler.backend.distributed.checks import (
    check_job_duplicates,
    check_job_integrity,
    revalidate,
)
from pixcrawler.builder.tasks import record_task_failure
from pixcrawler.celery_app import pixcrawler_task
from pixcrawler.validator.levels import ValidationLevel


@pixcrawler_task(on_failure=record_task_failure)
def validate_chunk(
    self: Task, *, job_id: str, chunk_id: int, level: str = "medium"
) -> dict[str, Any]:
    """Re-validate the kept images of one chunk at ``level``; rejects are marked and removed."""
    return revalidate(job_context(), job_id=job_id, chunk_id=chunk_id, level=ValidationLevel(level))


@pixcrawler_task(on_failure=record_task_failure)
def check_duplicates(self: Task, *, job_id: str) -> int:
    """Job-wide exact and near-duplicate pass; returns how many images it demoted."""
    return check_job_duplicates(job_context(), job_id=job_id)


@pixcrawler_task(on_failure=record_task_failure)
def check_integrity(self: Task, *, job_id: str) -> dict[str, Any]:
    """Re-hash every stored image against its recorded sha256; report missing or altered ones."""
    return check_job_integrity(job_context(), job_id=job_id)


@pixcrawler_task(on_failure=record_task_failure)
def validate_fast(self: Task, *, job_id: str) -> dict[str, Any]:
    """Integrity and size checks on every kept image of the job."""
    return revalidate(job_context(), job_id=job_id, level=ValidationLevel.FAST)


@pixcrawler_task(on_failure=record_task_failure)
def validate_medium(self: Task, *, job_id: str) -> dict[str, Any]:
    """Fast checks plus quality gates on every kept image of the job."""
    return revalidate(job_context(), job_id=job_id, level=ValidationLevel.MEDIUM)


@pixcrawler_task(on_failure=record_task_failure)
def validate_slow(self: Task, *, job_id: str) -> dict[str, Any]:
    """Medium checks plus EXIF on every kept image of the job."""
    return revalidate(job_context(), job_id=job_id, level=ValidationLevel.SLOW)
