"""Celery tasks for building datasets: thin shells over ``backend.distributed``.

Every task is declared with ``@pixcrawler_task`` (bind=True, acks_late=True, explicit
infrastructure-only retries); arguments are ids, never objects, and each task re-reads state.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celery import Task, chord

from pixcrawler.backend.db.chunks import STALE_AFTER, finish_chunk
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
from pixcrawler.backend.distributed.finalize import (
    chord_broken_by_failure,
    export_labels,
    open_chunk_count,
    package_warm,
)
from pixcrawler.builder.keywords import variations
from pixcrawler.celery_app import pixcrawler_task
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


def chunk_task_id(job_id: str, chunk_id: int) -> str:
    """The Celery task id of a chunk's task, known in advance so any chunk can be revoked.

    Every dispatch of the chunk (plan, retry, resume) reuses it, which is what lets
    ``claim_chunk`` hand a running chunk to a redelivered or resumed copy of its task.
    """
    return f"{job_id}-chunk-{chunk_id}"


def dispatch_chunks(*, job_id: str, kind: str, chunk_ids: Sequence[int]) -> None:
    """Send the chunks' tasks as a chord whose callback is ``finalize_job``."""
    chunk_task = discover_chunk if kind == "keywords" else download_chunk
    header = [
        chunk_task.si(job_id=job_id, chunk_id=chunk_id).set(task_id=chunk_task_id(job_id, chunk_id))
        for chunk_id in chunk_ids
    ]
    chord(header)(finalize_job.si(job_id=job_id))


def _record_failure(kwargs: dict[str, Any], exc: BaseException) -> None:
    """Put a failed task's reason on its chunk (or its job): the user sees why."""
    reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
    ctx = job_context()
    chunk_id, job_id = kwargs.get("chunk_id"), kwargs.get("job_id")
    if chunk_id is not None:
        with session_scope(ctx.sessions) as session:
            settled = finish_chunk(session, chunk_id=chunk_id, error=reason)
        if settled and job_id is not None:
            _finalize_if_chord_broken(job_id)
    elif job_id is not None:
        with session_scope(ctx.sessions) as session:
            fail_job(session, job_id=job_id, error=reason)


def _finalize_if_chord_broken(job_id: str) -> None:
    # A failed chunk task fails its chord, so the chord never calls finalize_job; whichever
    # chunk settles last sends it instead, and the job ends "failed" (retry can reopen it).
    if chord_broken_by_failure(job_context(), job_id=job_id):
        finalize_job.apply_async(kwargs={"job_id": job_id})


@pixcrawler_task(on_failure=_record_failure)
def plan_job(self: Task, *, job_id: str) -> int:
    """Cut the job into chunks and start them, with ``finalize_job`` as the chord callback."""
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        kind = get_job(session, job_id=job_id).kind
    chunk_ids = plan(ctx, job_id=job_id)
    dispatch_chunks(job_id=job_id, kind=kind, chunk_ids=chunk_ids)
    return len(chunk_ids)


@pixcrawler_task(on_failure=_record_failure)
def discover_chunk(self: Task, *, job_id: str, chunk_id: int) -> int | None:
    """Fill one keyword class: discovery, download, validation, dedup within the class."""
    kept = run_chunk(job_context(), job_id=job_id, chunk_id=chunk_id, task_id=self.request.id)
    _finalize_if_chord_broken(job_id)
    return kept


@pixcrawler_task(on_failure=_record_failure)
def download_chunk(self: Task, *, job_id: str, chunk_id: int) -> int | None:
    """Download, validate and store one URL-list shard."""
    kept = run_chunk(job_context(), job_id=job_id, chunk_id=chunk_id, task_id=self.request.id)
    _finalize_if_chord_broken(job_id)
    return kept


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
def finalize_job(self: Task, *, job_id: str, rechecks: int = 0) -> bool:
    """Chord callback: job-wide dedup, exports, hot ZIP; marks the job completed.

    Chunks still open here belong to another dispatch (a resumed job's older chord, whose
    callback may never come): it looks again every ``finalize_recheck_seconds`` until they
    settle, for at most the stale-chunk window, instead of leaving the job open.
    """
    ctx = job_context()
    if rechecks < _max_rechecks(ctx.settings.finalize_recheck_seconds) and open_chunk_count(
        ctx, job_id=job_id
    ):
        finalize_job.apply_async(
            kwargs={"job_id": job_id, "rechecks": rechecks + 1},
            countdown=ctx.settings.finalize_recheck_seconds,
        )
        return False
    return finalize(ctx, job_id=job_id)


def _max_rechecks(interval: float) -> int:
    return int(STALE_AFTER.total_seconds() // interval)


@pixcrawler_task(on_failure=_record_failure)
def package_dataset(self: Task, *, job_id: str, fmt: str = "7z") -> str:
    """The warm archive (7z by default), written to storage with the Cool tier where supported."""
    return package_warm(job_context(), job_id=job_id, fmt=fmt)


@pixcrawler_task(on_failure=_record_failure)
def export_dataset(self: Task, *, job_id: str, dest: str) -> int:
    """Copy the finished dataset from storage into ``dest`` on the worker's disk."""
    return export_job(job_context(), job_id=job_id, dest=Path(dest))
