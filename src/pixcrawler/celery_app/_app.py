"""Build and configure the Celery app from ``Settings`` (broker, backend, queues, limits)."""

from typing import Any

from celery import Celery
from kombu.entity import Queue

from pixcrawler.celery_app._signals import connect_signals
from pixcrawler.celery_app._watchdog import WatchdogTimer
from pixcrawler.config import Settings, get_settings

QUEUES = ("crawl", "validation", "packaging", "maintenance")
# Time limits and Redis's visibility timeout are settings (PIXCRAWLER_TASK_TIME_LIMIT,
# PIXCRAWLER_VISIBILITY_TIMEOUT), whose order Settings checks against the stale-chunk takeover.
#: The filesystem broker's folders, all under ``PIXCRAWLER_DATA_DIR/broker``.
BROKER_FOLDERS = ("queue", "processed", "control")
TASK_MODULES = ("pixcrawler.builder.tasks", "pixcrawler.validator.tasks")
# Routes match the real task names (module path + function), one queue per kind of work.
ROUTES = {
    "pixcrawler.builder.tasks.plan_job": {"queue": "maintenance"},
    "pixcrawler.builder.tasks.finalize_job": {"queue": "maintenance"},
    "pixcrawler.builder.tasks.generate_*": {"queue": "maintenance"},
    "pixcrawler.builder.tasks.watch_*": {"queue": "maintenance"},
    "pixcrawler.builder.tasks.discover_*": {"queue": "crawl"},
    "pixcrawler.builder.tasks.download_*": {"queue": "crawl"},
    "pixcrawler.builder.tasks.package_*": {"queue": "packaging"},
    "pixcrawler.builder.tasks.export_*": {"queue": "packaging"},
    "pixcrawler.validator.tasks.*": {"queue": "validation"},
}


def create_app(settings: Settings | None = None) -> Celery:
    """A configured Celery app; the embedded default needs no server (filesystem broker)."""
    settings = settings or get_settings()
    app = Celery("pixcrawler", include=list(TASK_MODULES))
    app.conf.update(_config(settings))
    app.steps["worker"].add(WatchdogTimer)
    connect_signals()
    return app


def _config(settings: Settings) -> dict[str, Any]:
    broker = settings.resolved_broker_url()
    if not settings.result_backend:  # the default SQLite file lives in the data dir
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": broker,
        "result_backend": settings.resolved_result_backend(),
        "broker_transport_options": _transport_options(broker, settings),
        "broker_connection_retry_on_startup": True,
        "task_queues": [Queue(name) for name in QUEUES],  # type: ignore[no-untyped-call]
        "task_default_queue": "crawl",
        "task_routes": ROUTES,
        "task_acks_late": True,
        # A task whose worker died (kill -9, OOM) goes back to the queue instead of vanishing.
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit,
        "task_soft_time_limit": settings.task_time_limit - 60,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "worker_hijack_root_logger": False,
        "result_extended": True,
    }


def _transport_options(broker: str, settings: Settings) -> dict[str, Any]:
    if broker.startswith("filesystem://"):
        # Every folder the transport uses, named here: Kombu's default for the exchange tables
        # (``control_folder``) is ``control/`` in the current directory.
        folder = settings.data_dir / "broker"
        for sub in BROKER_FOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.2,  # seconds between looks at the queue folder
        }
    if broker.startswith(("redis://", "rediss://")):
        return {"visibility_timeout": settings.visibility_timeout}
    return {}


app = create_app()
