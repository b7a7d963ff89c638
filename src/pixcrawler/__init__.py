"""PixCrawler: turn URL lists (and keywords) into clean, labelled, licence-aware image datasets.

The library logs through loguru but stays silent until an application calls
:func:`pixcrawler.utility.logging_config.configure_logging`.

Names are imported on first use, so a process that needs one part (a fetch process, a Celery
worker) does not pay for the rest.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pixcrawler.builder import BuildOptions, build_dataset
    from pixcrawler.builder.discovery import read_url_list
    from pixcrawler.config import Settings, get_settings
    from pixcrawler.errors import (
        PermanentError,
        PixCrawlerError,
        TransientError,
        classify_http_error,
    )
    from pixcrawler.records import Candidate, Outcome, Status

_HOMES = {
    "BuildOptions": "pixcrawler.builder",
    "Candidate": "pixcrawler.records",
    "Outcome": "pixcrawler.records",
    "PermanentError": "pixcrawler.errors",
    "PixCrawlerError": "pixcrawler.errors",
    "Settings": "pixcrawler.config",
    "Status": "pixcrawler.records",
    "TransientError": "pixcrawler.errors",
    "build_dataset": "pixcrawler.builder",
    "classify_http_error": "pixcrawler.errors",
    "get_settings": "pixcrawler.config",
    "read_url_list": "pixcrawler.builder.discovery",
}

__all__ = [
    "BuildOptions",
    "Candidate",
    "Outcome",
    "PermanentError",
    "PixCrawlerError",
    "Settings",
    "Status",
    "TransientError",
    "build_dataset",
    "classify_http_error",
    "get_settings",
    "read_url_list",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pixcrawler' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
