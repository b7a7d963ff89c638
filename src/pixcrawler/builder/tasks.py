"""Celery tasks for building datasets: thin shells over ``backend.distributed``.

Every task is declared with ``@pixcrawler_task`` (bind=True, acks_late=True, explicit
infrastructure-only retries); arguments are ids, never objects, and each task re-reads state.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celery import Task

from pixcrawler.backend.db.jobs import fail_job, job_spec
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import (
    export_job,
    job_context,
    package_job,
    run_chunk,
)
from pixcrawler.backend.distributed import (
    finalize_job as finalize,
)
from pixcrawler.backend.distributed import (
    plan_job as plan,
)
from pixcrawler.backend.distributed.finalize import export_labels
from pixcrawler.backend.distributed.packaging import HOT_FORMAT
from pixcrawler.backend.distributed.settle import settle_chunk
from pixcrawler.builder.discovery.keywords import variations
from pixcrawler.builder.jobspec import JobKind
from pixcrawler.celery_app import (
    BROKER_ERRORS,
    app,
    chunk_task_id,
    finalize_task_id,
    pixcrawler_task,
)
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


def dispatch_chunks(*, job_id: str, kind: JobKind, chunk_ids: Sequence[int]) -> None:
    """Send the chunks' tasks, each under its own known id, over one broker connection.

    No chord: the chunk that settles last sends ``finalize_job`` (``backend.distributed.settle``).
    """
    chunk_task = discover_chunk if kind is JobKind.KEYWORDS else download_chunk
    with app.producer_or_acquire() as producer:
        for chunk_id in chunk_ids:
            chunk_task.apply_async(
                kwargs={"job_id": job_id, "chunk_id": chunk_id},
                task_id=chunk_task_id(job_id, chunk_id),
                producer=producer,
            )


def send_finalize(job_id: str) -> None:
    """Send ``finalize_job``; with the broker down, the watchdog sends it later instead."""
    try:
        finalize_job.apply_async(kwargs={"job_id": job_id}, task_id=finalize_task_id(job_id))
    except BROKER_ERRORS as exc:
        logger.bind(operation="export", job_id=job_id, error_type=type(exc).__name__).warning(
            "finalize not sent (broker unreachable); the watchdog will send it"
        )


def record_task_failure(kwargs: dict[str, Any], exc: BaseException) -> None:
    """Put a failed task's reason on its chunk (or its job): the user sees why."""
    reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
    ctx = job_context()
    chunk_id, job_id = kwargs.get("chunk_id"), kwargs.get("job_id")
    if chunk_id is not None and job_id is not None:
        with session_scope(ctx.sessions) as session:
            settlement = settle_chunk(session, job_id=job_id, chunk_id=chunk_id, error=reason)
        if settlement.last:  # the job ends "failed"; `jobs retry` can reopen it
            send_finalize(job_id)
    elif job_id is not None:
        with session_scope(ctx.sessions) as session:
            fail_job(session, job_id=job_id, error=reason)


@pixcrawler_task(on_failure=record_task_failure)
def plan_job(self: Task, *, job_id: str) -> int:
    """Cut the job into chunks and send them; the last one to settle sends ``finalize_job``.

    Chunks the broker did not take stay pending in the database, and the job open: the
    watchdog sends them, instead of the job failing for a broker's blip.
    """
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        kind = job_spec(session, job_id=job_id).kind
    chunk_ids = plan(ctx, job_id=job_id)
    try:
        dispatch_chunks(job_id=job_id, kind=kind, chunk_ids=chunk_ids)
    except BROKER_ERRORS as exc:
        logger.bind(operation="job_planning", job_id=job_id, error_type=type(exc).__name__).warning(
            "chunks not all sent (broker unreachable); the watchdog will send them"
        )
    return len(chunk_ids)


@pixcrawler_task(on_failure=record_task_failure)
def discover_chunk(self: Task, *, job_id: str, chunk_id: int) -> int | None:
    """Fill one keyword class: discovery, download, validation, dedup within the class."""
    return _run_chunk(self, job_id, chunk_id)


@pixcrawler_task(on_failure=record_task_failure)
def download_chunk(self: Task, *, job_id: str, chunk_id: int) -> int | None:
    """Download, validate and store one chunk of a URL list."""
    return _run_chunk(self, job_id, chunk_id)


def _run_chunk(task: Task, job_id: str, chunk_id: int) -> int | None:
    done = run_chunk(job_context(), job_id=job_id, chunk_id=chunk_id, task_id=task.request.id)
    if done.last:
        send_finalize(job_id)
    return done.kept


@pixcrawler_task(on_failure=record_task_failure)
def generate_keywords(self: Task, *, job_id: str) -> dict[str, list[str]]:
    """The query variations each keyword class will use, in their seeded order."""
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        spec = job_spec(session, job_id=job_id)
    return {
        keyword: list(variations(keyword, seed=spec.seed, limit=spec.variations))
        for keyword in spec.keywords
    }


@pixcrawler_task(on_failure=record_task_failure)
def generate_labels(self: Task, *, job_id: str) -> int:
    """Rewrite the job's manifest, metadata and label files from the database."""
    return export_labels(job_context(), job_id=job_id)


@pixcrawler_task(on_failure=record_task_failure)
def finalize_job(self: Task, *, job_id: str) -> bool:
    """Job-wide dedup and exports, then the job is completed; its hot ZIP follows as a task.

    Sent by the task that settles the job's last chunk (or by the watchdog, or ``jobs resume``);
    idempotent, so a duplicate does nothing.
    """
    completed = finalize(job_context(), job_id=job_id)
    if completed:
        package_dataset.apply_async(
            kwargs={"job_id": job_id, "fmt": HOT_FORMAT}, task_id=f"{job_id}-package-{HOT_FORMAT}"
        )
    return completed


@pixcrawler_task(on_failure=record_task_failure)
def package_dataset(self: Task, *, job_id: str, fmt: str = "7z") -> str:
    """An archive of the finished dataset in storage: the hot ZIP (Hot tier, sent when the job
    completes) or a warm one (7z by default, Cool tier where supported)."""
    return package_job(job_context(), job_id=job_id, fmt=fmt)


@pixcrawler_task(on_failure=record_task_failure)
def export_dataset(self: Task, *, job_id: str, dest: str) -> int:
    """Copy the finished dataset from storage into ``dest`` on the worker's disk."""
    return export_job(job_context(), job_id=job_id, dest=Path(dest))


@pixcrawler_task(on_failure=record_task_failure, ignore_result=True)
def watch_jobs(self: Task) -> int:
    """Maintenance, sent by every worker's watchdog timer: re-send the work of stalled jobs."""
    # Imported here: the watchdog sends tasks of this module, through job control.
    from pixcrawler.backend.distributed.watchdog import recover_stalled_jobs

    return len(recover_stalled_jobs(job_context(), self.app))
