"""PixCrawler: turn URL lists (and keywords) into clean, labelled, licence-aware image datasets.

The library logs through loguru but stays silent until an application calls
:func:`pixcrawler.utility.logging_config.configure_logging`.
"""

from pixcrawler.builder._exceptions import (
    PermanentError,
    PixCrawlerError,
    TransientError,
    classify_http_error,
)
from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.builder._sources import read_url_list
from pixcrawler.config import Settings, get_settings
from pixcrawler.records import Candidate, Outcome, Status

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
