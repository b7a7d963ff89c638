"""Centralised logging: the only place PixCrawler configures loguru or touches stdlib logging.

Library modules only ask for a logger::

    from pixcrawler.utility.logging_config import get_logger

    logger = get_logger(__name__)

Entry points (CLI, API, worker) call :func:`configure_logging` exactly once. A unit of work
(a local build, a task) runs inside :func:`job_context`; each critical operation opens with
:func:`operation_logger` (``user_id``, ``job_id``, ``operation`` bound).
"""

from pixcrawler.utility.logging_config._context import (
    JobKey,
    current_job,
    job_context,
    local_user,
    operation_logger,
)
from pixcrawler.utility.logging_config._setup import (
    LogFormat,
    configure_logging,
    current_options,
    get_logger,
    is_configured,
)

__all__ = [
    "JobKey",
    "LogFormat",
    "configure_logging",
    "current_job",
    "current_options",
    "get_logger",
    "is_configured",
    "job_context",
    "local_user",
    "operation_logger",
]
