"""Centralised logging: the only place PixCrawler configures loguru or touches stdlib logging.

Library modules only ask for a logger::

    from pixcrawler.utility.logging_config import get_logger

    logger = get_logger(__name__)

Entry points (CLI, API, worker) call :func:`configure_logging` exactly once.
"""

from pixcrawler.utility.logging_config._setup import (
    LogFormat,
    configure_logging,
    current_options,
    get_logger,
    is_configured,
)

__all__ = ["LogFormat", "configure_logging", "current_options", "get_logger", "is_configured"]
