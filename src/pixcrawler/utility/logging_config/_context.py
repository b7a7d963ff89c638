"""Whose work a log line is about: the job context every critical operation binds first.

A job context is ``(user_id, job_id)``: in a worker, the task's job (and its user, when the task
message names one); in a local build, the dataset folder's name and the OS user. It is set once
per unit of work with :func:`job_context`, and each critical operation opens with
:func:`operation_logger`, which binds ``user_id``, ``job_id`` and ``operation`` (plus any field
given), so every line of the operation, error lines included, can be filtered by any of them.
"""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from loguru import logger

if TYPE_CHECKING:
    from loguru import Logger

#: ``(user_id, job_id)`` of the work in progress; (None, None) outside any job.
JobKey = tuple[str | int | None, str | None]
_JOB: ContextVar[JobKey] = ContextVar("pixcrawler_job", default=(None, None))


@contextmanager
def job_context(*, job_id: str | None, user_id: str | int | None) -> Iterator[None]:
    """Everything logged inside the block, in any module, carries ``user_id`` and ``job_id``."""
    token = _JOB.set((user_id, job_id))
    try:
        with logger.contextualize(user_id=user_id, job_id=job_id):
            yield
    finally:
        _JOB.reset(token)


def current_job() -> JobKey:
    """The ``(user_id, job_id)`` in force, for a child process to repeat."""
    return _JOB.get()


def local_user() -> str:
    """The OS user running a local build: its ``user_id`` in the logs."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers): still a stable name
        return "unknown"


def operation_logger(operation: str, **fields: Any) -> "Logger":
    """A logger bound with the job context, ``operation`` and ``fields``: an operation opens so."""
    user_id, job_id = _JOB.get()
    return logger.bind(user_id=user_id, job_id=job_id, operation=operation, **fields)
