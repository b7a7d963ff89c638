"""Celery's own logging goes through loguru; every task runs inside its structured context."""

from typing import Any

from celery import signals

from pixcrawler.config import get_settings
from pixcrawler.utility.logging_config import configure_logging, is_configured

_connected = {"done": False}


def _setup_logging(**_: Any) -> None:
    # Connecting to setup_logging stops Celery from configuring logging itself; we configure
    # loguru once for the worker entry point, and stdlib records (celery, kombu) are intercepted.
    if not is_configured():
        settings = get_settings()
        configure_logging(
            level=settings.log_level,
            fmt=settings.log_format,
            development=settings.environment == "development",
        )


def connect_signals() -> None:
    """Connect the logging signal once per process."""
    if not _connected["done"]:
        signals.setup_logging.connect(_setup_logging, weak=False)
        _connected["done"] = True
