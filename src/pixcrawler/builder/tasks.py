"""Celery tasks for building datasets: thin shells over ``backend.distributed``.

Every task is declared with ``@pixcrawler_task`` (bind=True, acks_late=True, explicit
infrastructure-only retries); arguments are ids, never objects, and each task re-reads state.
"""

from pathlib import Path
from typing import Any

from celery import Task, chord

from pixcrawler.backend.db.chunks import finish_chunk
from pixcrawler.backend.db.jobs import fail_job, get_job
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import (
    export_job,
    job_context,
    run_chunk,
)
from pixcrawler.backend.distributed import (
    finalize_job as finalize,
)
from pixcrawler.backend.distributed import (
    plan_job as plan,
)
from pixcrawler.backend.distributed.finalize import export_labels, package_warm
from pixcrawler.builder.keywords import variations
from pixcrawler.celery_app import pixcrawler_task
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


def _record_failure(kwargs: dict[str, Any], exc: BaseException) -> None:
    """Put a failed task's reason on its chunk (or its job): the user sees why."""
    reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        if kwargs.get("chunk_id") is not None:
            finish_chunk(session, chunk_id=kwargs["chunk_id"], error=reason)
        elif kwargs.get("job_id") is not None:
            fail_job(session, job_id=kwargs["job_id"], error=reason)


@pixcrawler_task(on_failure=_record_failure)
def plan_job(self: Task, *, job_id: str) -> int:
    """Cut the job into chunks and start them, with ``finalize_job`` as the chord callback."""
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        kind = get_job(session, job_id=job_id).kind
    chunk_ids = plan(ctx, job_id=job_id)
    chunk_task = discover_chunk if kind == "keywords" else download_chunk
    header = [chunk_task.si(job_id=job_id, chunk_id=chunk_id) for chunk_id in chunk_ids]
    chord(header)(finalize_job.si(job_id=job_id))
    return len(chunk_ids)


@pixcrawler_task(on_failure=_record_failure)
def discover_chunk(self: Task, *, job_id: str, chunk_id: int) -> int | None:
    """Fill one keyword class: discovery, download, validation, dedup within the class."""
    return run_chunk(job_context(), job_id=job_id, chunk_id=chunk_id, task_id=self.request.id)


@pixcrawler_task(on_failure=_record_failure)
def download_chunk(self: Task, *, job_id: str, chunk_id: int) -> int | None:
    """Download, validate and store one URL-list shard."""
    return run_chunk(job_context(), job_id=job_id, chunk_id=chunk_id, task_id=self.request.id)


@pixcrawler_task(on_failure=_record_failure)
def generate_keywords(self: Task, *, job_id: str) -> dict[str, list[str]]:
    """The query variations each keyword class will use, in their seeded order."""
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        spec = get_job(session, job_id=job_id).spec
    seed, limit = int(spec.get("seed", 0)), spec.get("variations")
    return {kw: list(variations(kw, seed=seed, limit=limit)) for kw in spec.get("keywords", [])}


@pixcrawler_task(on_failure=_record_failure)
def generate_labels(self: Task, *, job_id: str) -> int:
    """Rewrite the job's manifest, metadata and label files from the database."""
    return export_labels(job_context(), job_id=job_id)


@pixcrawler_task(on_failure=_record_failure)
def finalize_job(self: Task, *, job_id: str) -> bool:
    """Chord callback: job-wide dedup, exports, hot ZIP; marks the job completed."""
    return finalize(job_context(), job_id=job_id)


@pixcrawler_task(on_failure=_record_failure)
def package_dataset(self: Task, *, job_id: str, fmt: str = "7z") -> str:
    """The warm archive (7z by default), written to storage with the Cool tier where supported."""
    return package_warm(job_context(), job_id=job_id, fmt=fmt)


@pixcrawler_task(on_failure=_record_failure)
def export_dataset(self: Task, *, job_id: str, dest: str) -> int:
    """Copy the finished dataset from storage into ``dest`` on the worker's disk."""
    return export_job(job_context(), job_id=job_id, dest=Path(dest))
