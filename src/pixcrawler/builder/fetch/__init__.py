"""Per-image work (download + validate) and the fetch processes that run it."""

from pixcrawler.builder.fetch._child import FetchConfig
from pixcrawler.builder.fetch._image import Accepted, Fetcher, LocalFetcher
from pixcrawler.builder.fetch._pool import FetchPool

__all__ = [
    "Accepted",
    "FetchConfig",
    "FetchPool",
    "Fetcher",
    "LocalFetcher",
]
