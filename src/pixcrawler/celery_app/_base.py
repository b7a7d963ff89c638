"""``@pixcrawler_task``: the one way to declare a task, so none can forget the retry rules.

Every task is ``bind=True, acks_late=True`` and never retries automatically. Inside it:

- infrastructure failures (``MemoryError``, ``DatabaseConnectionError``) are retried by the task,
  ``self.retry(exc=e, max_retries=3, countdown=60)``, logged first with their context;
- network errors are *not* retried here: the Tenacity layer already gave them 3 attempts;
- permanent errors fail at once; an ``on_failure`` hook records the reason (chunk, job).
"""

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import Task
from celery.exceptions import Retry

from pixcrawler.celery_app._app import app
from pixcrawler.config import get_settings
from pixcrawler.errors import InfrastructureError, PermanentError
from pixcrawler.utility.logging_config import get_logger, job_context

logger = get_logger(__name__)

MAX_TASK_RETRIES = 3
RETRY_COUNTDOWN = 60  # seconds; PIXCRAWLER_TASK_RETRY_COUNTDOWN shortens it in tests only
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (MemoryError, InfrastructureError)
_CONTEXT_KEYS = ("job_id", "chunk_id", "user_id", "dataset_id")

P = ParamSpec("P")
R = TypeVar("R")
FailureHook = Callable[[dict[str, Any], BaseException], None]


def pixcrawler_task(
    *,
    name: str | None = None,
    on_failure: FailureHook | None = None,
    ignore_result: bool = False,
) -> Callable[[Callable[..., R]], Task]:
    """Register ``fn(self, **kwargs)`` as a bound, late-acknowledged task with our retry rules.

    Args:
        name: the task name; default ``module.function`` (what the queue routes match).
        on_failure: called with the task kwargs and the error when the task fails for good.
        ignore_result: store no result (a periodic task would fill the result backend).
    """

    def decorate(fn: Callable[..., R]) -> Task:
        @functools.wraps(fn)
        def run(self: Task, *args: Any, **kwargs: Any) -> R:
            context = {key: kwargs[key] for key in _CONTEXT_KEYS if kwargs.get(key) is not None}
            # The task's job is the job context of every operation it runs (user_id when the
            # message names one: tasks carry ids, and the CLI's and watchdog's name none).
            job = job_context(job_id=kwargs.get("job_id"), user_id=kwargs.get("user_id"))
            with job, logger.contextualize(task=self.name, task_id=self.request.id, **context):
                return _guarded(self, fn, on_failure, args, kwargs)

        task_name = name or f"{fn.__module__}.{fn.__name__}"
        declared: Task = app.task(
            bind=True,
            acks_late=True,
            name=task_name,
            max_retries=MAX_TASK_RETRIES,
            default_retry_delay=RETRY_COUNTDOWN,
            ignore_result=ignore_result,
            # Expected failures: Celery logs them in one line, without a traceback; ours above
            # carries the context. Bugs keep their traceback.
            throws=(PermanentError,),
        )(run)
        return declared

    return decorate


def _guarded(
    task: Task,
    fn: Callable[..., R],
    on_failure: FailureHook | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> R:
    try:
        return fn(task, *args, **kwargs)
    except INFRASTRUCTURE_ERRORS as exc:
        retry_count = task.request.retries + 1
        if retry_count > MAX_TASK_RETRIES:
            _log(exc, kwargs, task.request.retries).error("infrastructure failure; retries spent")
            if on_failure is not None:
                _record(on_failure, kwargs, exc)
            raise
        _log(exc, kwargs, retry_count).warning("infrastructure failure; retrying the task")
        countdown = get_settings().task_retry_countdown
        raise task.retry(exc=exc, max_retries=MAX_TASK_RETRIES, countdown=countdown) from exc
    except Retry:
        raise
    except Exception as exc:
        # Permanent errors, network errors whose 3 Tenacity attempts are spent, and bugs: never
        # retried here; the reason goes on the chunk or job so nothing waits on it forever.
        _log(exc, kwargs, task.request.retries).error("task failed; not retried")
        if on_failure is not None:
            _record(on_failure, kwargs, exc)
        raise


def _record(on_failure: FailureHook, kwargs: dict[str, Any], exc: BaseException) -> None:
    """Run the failure hook; its own failure (no such job, database down) never hides ``exc``."""
    try:
        on_failure(kwargs, exc)
    except Exception as hook_error:
        _log(hook_error, kwargs, 0).warning("task failure not recorded")


def _log(exc: BaseException, kwargs: dict[str, Any], retry_count: int) -> Any:
    resource = kwargs.get("chunk_id") or kwargs.get("job_id") or kwargs.get("dataset_id")
    return logger.bind(
        operation="task",
        error_type=type(exc).__name__,
        error=str(exc),
        resource_id=resource,
        retry_count=retry_count,
        max_retries=MAX_TASK_RETRIES,
    )
