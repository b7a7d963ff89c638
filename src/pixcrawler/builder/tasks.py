"""Celery tasks for building datasets: thin shells over ``backend.distributed``.

Every task is declared with ``@pixcrawler_task`` (bind=True, acks_late=True, explicit
infrastructure-only retries); arguments are ids, never objects, and each task re-reads state.
Who sends each one (ARCHITECTURE.md, "Task callers"):

- ``plan_job``: ``build --distributed``, ``jobs resume``, the watchdog; a keyword job's plan
  goes on in ``generate_keywords``;
- ``discover_chunk`` / ``download_chunk``: the plan, ``jobs retry``/``resume``, the watchdog;
- ``finalize_job``: the chunk that settles last, ``jobs resume``, the watchdog;
- ``package_dataset``: ``finalize_job`` and ``generate_labels`` (the hot ZIP);
- ``generate_labels``: the end of ``jobs validate`` and ``jobs check``;
- ``watch_jobs``: every worker's watchdog timer.
"""

from typing import Any

from celery import Task

from pixcrawler.backend.db import fail_job, job_spec, session_scope
from pixcrawler.backend.distributed import (
    HOT_FORMAT,
    export_labels,
    job_context,
    package_job,
    run_chunk,
    settle_chunk,
)
from pixcrawler.backend.distributed import (
    finalize_job as finalize,
)
from pixcrawler.backend.distributed import (
    plan_job as plan,
)
from pixcrawler.backend.distributed.watchdog import recover_stalled_jobs
from pixcrawler.builder.discovery.keywords import variations
from pixcrawler.builder.jobspec import JobKind
from pixcrawler.celery_app import (
    BROKER_ERRORS,
    dispatch_chunks,
    pixcrawler_task,
    send_finalize,
)
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


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
    """Cut a URL-list job into chunks and send them; a keyword job's plan is
    ``generate_keywords``. The last chunk to settle sends ``finalize_job``.

    Returns the chunks sent (0 for a keyword job, whose plan goes on in ``generate_keywords``).
    """
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        kind = job_spec(session, job_id=job_id).kind
    if kind is JobKind.KEYWORDS:
        generate_keywords.apply_async(kwargs={"job_id": job_id}, task_id=f"{job_id}-keywords")
        return 0
    return _dispatch(job_id, kind, plan(ctx, job_id=job_id))


@pixcrawler_task(on_failure=record_task_failure)
def generate_keywords(self: Task, *, job_id: str) -> dict[str, list[str]]:
    """A keyword job's plan: each class's queries, computed once (seeded order, the expansion
    hook if any) and stored on its chunk, so every delivery of the chunk asks the same ones;
    then the chunks are sent. Returns the queries by class."""
    ctx = job_context()
    with session_scope(ctx.sessions) as session:
        spec = job_spec(session, job_id=job_id)
    queries = {
        keyword: list(variations(keyword, seed=spec.seed, limit=spec.variations))
        for keyword in spec.keywords
    }
    _dispatch(job_id, JobKind.KEYWORDS, plan(ctx, job_id=job_id, queries=queries))
    return queries


def _dispatch(job_id: str, kind: JobKind, chunk_ids: list[int]) -> int:
    # Chunks the broker did not take stay pending in the database, and the job open: the
    # watchdog sends them, instead of the job failing for a broker's blip.
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
    done = run_chunk(
        job_context(), job_id=job_id, chunk_id=chunk_id,
        task_id=task.request.id, retries=task.request.retries or 0,
    )  # fmt: skip
    if done.last:
        send_finalize(job_id)
    return done.kept


@pixcrawler_task()
def generate_labels(self: Task, *, job_id: str) -> int:
    """Rewrite the job's manifest, metadata and label files from the database (after a check
    demoted images), then send the hot ZIP again so it matches. Returns the rows written.

    No failure hook: the job stays as it was (completed), and the caller reports the failure.
    """
    written = export_labels(job_context(), job_id=job_id)
    _send_package(job_id)
    return written


@pixcrawler_task(on_failure=record_task_failure)
def finalize_job(self: Task, *, job_id: str) -> bool:
    """Job-wide dedup and exports, then the job is completed; its hot ZIP follows as a task.

    Sent by the task that settles the job's last chunk (or by the watchdog, or ``jobs resume``);
    idempotent, so a duplicate does nothing.
    """
    completed = finalize(job_context(), job_id=job_id)
    if completed:
        _send_package(job_id)
    return completed


def _send_package(job_id: str) -> None:
    package_dataset.apply_async(
        kwargs={"job_id": job_id, "fmt": HOT_FORMAT}, task_id=f"{job_id}-package-{HOT_FORMAT}"
    )


@pixcrawler_task(on_failure=record_task_failure)
def package_dataset(self: Task, *, job_id: str, fmt: str = HOT_FORMAT) -> str:
    """The hot ZIP of the finished dataset in storage (Hot tier), sent when the job completes
    and when its exports are rewritten; any other format is packaged warm (Cool tier)."""
    return package_job(job_context(), job_id=job_id, fmt=fmt)


@pixcrawler_task(on_failure=record_task_failure, ignore_result=True)
def watch_jobs(self: Task) -> int:
    """Maintenance, sent by every worker's watchdog timer: re-send the work of stalled jobs."""
    return len(recover_stalled_jobs(job_context(), self.app))
