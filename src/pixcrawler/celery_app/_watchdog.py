"""The worker's watchdog timer: every ``PIXCRAWLER_WATCHDOG_INTERVAL`` seconds, send ``watch_jobs``.

A worker step, so no extra process (``celery beat``) has to be deployed. It runs on the worker's
own timer (its event loop in the main process) and only publishes a message; the sweep itself
runs as a ``maintenance`` task in the pool. Each worker that consumes ``maintenance`` sends its
own; sweeps are idempotent, and each message expires after one interval so none pile up while
every pool slot is busy.
"""

from typing import Any, ClassVar

from celery import bootsteps

from pixcrawler.celery_app._errors import BROKER_ERRORS
from pixcrawler.config import get_settings
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

WATCH_TASK = "pixcrawler.builder.tasks.watch_jobs"
_QUEUE = "maintenance"


class WatchdogTimer(bootsteps.StartStopStep):  # type: ignore[misc]  # celery is untyped
    """Send ``watch_jobs`` periodically while the worker runs."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.entry: Any = None

    def start(self, parent: Any) -> None:
        interval = get_settings().watchdog_interval
        if interval <= 0 or _QUEUE not in parent.app.amqp.queues.consume_from:
            return
        self.entry = parent.timer.call_repeatedly(
            interval, send_watch, (parent.app, interval), priority=10
        )

    def stop(self, parent: Any) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None


def send_watch(app: Any, interval: float) -> None:
    """Publish one ``watch_jobs``; a broker that is down only means no sweep this time."""
    try:
        app.send_task(WATCH_TASK, expires=interval, retry=False)
    except BROKER_ERRORS as exc:
        logger.bind(operation="watchdog", error_type=type(exc).__name__).warning(
            "watchdog sweep not sent; broker unreachable"
        )
