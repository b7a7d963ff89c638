"""The Celery app for distributed jobs (`pixcrawler worker`, or `celery -A pixcrawler.celery_app`).

Queues: ``crawl`` (discovery and downloads), ``validation``, ``packaging``, ``maintenance``.
Tasks are declared with :func:`pixcrawler_task`, which enforces the retry architecture.
"""

from pixcrawler.celery_app._app import QUEUES, app, create_app
from pixcrawler.celery_app._base import pixcrawler_task
from pixcrawler.celery_app._errors import BROKER_ERRORS
from pixcrawler.celery_app._ids import chunk_task_id, finalize_task_id, plan_task_id, send_plan

__all__ = [
    "BROKER_ERRORS",
    "QUEUES",
    "app",
    "chunk_task_id",
    "create_app",
    "finalize_task_id",
    "pixcrawler_task",
    "plan_task_id",
    "send_plan",
]
