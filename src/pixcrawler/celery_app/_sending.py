"""Sending tasks by name: clients and ``backend/`` never import the task modules.

``build --distributed``, job control, the watchdog and the ``jobs`` commands send work through
these functions, so none of them loads the pipeline a worker runs (nor a cycle back into the
tasks that call them). Every name here is a task declared in ``builder/tasks.py`` or
``validator/tasks.py``; ``tests/jobs/test_task_callers.py`` checks each is reached.
"""

from collections.abc import Sequence
from typing import Any

from celery import chain
from celery.result import AsyncResult

from pixcrawler.celery_app._app import app
from pixcrawler.celery_app._errors import BROKER_ERRORS
from pixcrawler.celery_app._ids import chunk_task_id, finalize_task_id, plan_task_id
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

BUILDER = "pixcrawler.builder.tasks"
VALIDATOR = "pixcrawler.validator.tasks"
PLAN_TASK = f"{BUILDER}.plan_job"
FINALIZE_TASK = f"{BUILDER}.finalize_job"
PACKAGE_TASK = f"{BUILDER}.package_dataset"
#: A chunk's task by the job's kind: keyword classes are discovered, URL lists downloaded.
CHUNK_TASKS = {"keywords": f"{BUILDER}.discover_chunk", "url_list": f"{BUILDER}.download_chunk"}

#: One step of a chain: task name, its keyword arguments, the id it runs under.
Step = tuple[str, dict[str, Any], str]


def send_plan(job_id: str) -> None:
    """Send the job's ``plan_job`` under its known id."""
    _send(PLAN_TASK, {"job_id": job_id}, plan_task_id(job_id))


def dispatch_chunks(*, job_id: str, kind: str, chunk_ids: Sequence[int]) -> None:
    """Send the chunks' tasks, each under its own known id, over one broker connection.

    No chord: the chunk that settles last sends ``finalize_job`` (``backend.distributed.settle``).
    """
    name = CHUNK_TASKS[str(kind)]
    with app.producer_or_acquire() as producer:
        for chunk_id in chunk_ids:
            _send(name, {"job_id": job_id, "chunk_id": chunk_id}, chunk_task_id(job_id, chunk_id),
                  producer=producer)  # fmt: skip


def send_finalize(job_id: str) -> None:
    """Send ``finalize_job``; with the broker down, the watchdog sends it later instead."""
    try:
        _send(FINALIZE_TASK, {"job_id": job_id}, finalize_task_id(job_id))
    except BROKER_ERRORS as exc:
        logger.bind(operation="export", job_id=job_id, error_type=type(exc).__name__).warning(
            "finalize not sent (broker unreachable); the watchdog will send it"
        )


def send_package(job_id: str, fmt: str, task_id: str) -> AsyncResult:
    """Send ``package_dataset``: an archive of the job's dataset in ``fmt``."""
    return _send(PACKAGE_TASK, {"job_id": job_id, "fmt": fmt}, task_id)


def send_validation(job_id: str, level: str, run_id: str) -> AsyncResult:
    """Send ``validate_<level>`` (``jobs validate``, the API): it revalidates the completed
    job's chunks and rewrites its exports, as a chain of tasks named after ``run_id``."""
    return _send(f"{VALIDATOR}.validate_{level}", {"job_id": job_id, "run_id": run_id}, run_id)


def _send(name: str, kwargs: dict[str, Any], task_id: str, **options: Any) -> AsyncResult:
    # A signature, not ``send_task``: where the task is registered (a worker, an eager test) it
    # is applied as the task itself; elsewhere (a client) it is sent by name.
    signature = app.signature(name, kwargs=kwargs)
    result: AsyncResult = signature.apply_async(task_id=task_id, **options)
    return result


def send_chain(steps: Sequence[Step]) -> list[AsyncResult]:
    """Send ``steps`` as one chain: each runs after the one before succeeded, with only its own
    arguments; a failing step stops the rest. Returns each step's result handle, in order.

    A chain, not a chord: nothing waits on a subtask, and each step's id is known in advance,
    so the caller can follow every step's result.
    """
    signatures = [
        app.signature(name, kwargs=kwargs, immutable=True).set(task_id=task_id)
        for name, kwargs, task_id in steps
    ]
    chain(*signatures).apply_async()
    return [app.AsyncResult(task_id) for _, _, task_id in steps]
