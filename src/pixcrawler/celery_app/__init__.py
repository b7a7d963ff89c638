"""The Celery app for distributed jobs (`pixcrawler worker`, or `celery -A pixcrawler.celery_app`).

Queues: ``crawl`` (discovery and downloads), ``validation``, ``packaging``, ``maintenance``.
Tasks are declared with :func:`pixcrawler_task`, which enforces the retry architecture, and
sent by name (:mod:`._sending`), so no client imports the task modules.
"""

from pixcrawler.celery_app._app import QUEUES, app, create_app
from pixcrawler.celery_app._base import pixcrawler_task
from pixcrawler.celery_app._errors import BROKER_ERRORS
from pixcrawler.celery_app._ids import chunk_task_id, finalize_task_id, plan_task_id
from pixcrawler.celery_app._sending import (
    BUILDER,
    VALIDATOR,
    Step,
    dispatch_chunks,
    send_chain,
    send_finalize,
    send_package,
    send_plan,
    send_validation,
)

__all__ = [
    "BROKER_ERRORS",
    "BUILDER",
    "QUEUES",
    "VALIDATOR",
    "Step",
    "app",
    "chunk_task_id",
    "create_app",
    "dispatch_chunks",
    "finalize_task_id",
    "pixcrawler_task",
    "plan_task_id",
    "send_chain",
    "send_finalize",
    "send_package",
    "send_plan",
    "send_validation",
]
