"""Download and validate one URL: the per-image work, runnable in any process.

A :class:`Fetched` value is what crosses from the workers to the dataset writer: plain,
picklable data (no exceptions, no clients), so the same code serves the in-process build and
the fetch processes of :mod:`pixcrawler.builder.fetch._pool`.
"""

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

from pixcrawler.builder._downloader import Downloader
from pixcrawler.errors import (
    PixCrawlerError,
    PolicyError,
    TransientError,
    ValidationError,
)
from pixcrawler.records import Download, ImageInfo, Status
from pixcrawler.utility.logging_config import operation_logger
from pixcrawler.validator.levels import ValidationProfile, validate_image


@dataclass(frozen=True, slots=True)
class Accepted:
    """A body that downloaded and passed validation: next comes deduplication."""

    download: Download
    info: ImageInfo


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a URL produced no image, as its manifest row will say it."""

    status: Status
    reason: str
    error_type: str
    attempts: int = 0
    #: A transient failure is tried again by the next run of the same build.
    retryable: bool = False
    sha256: str | None = None


Fetched = Accepted | Rejected


class Fetcher(Protocol):
    """Turns a URL into a :data:`Fetched` value; never raises for a per-image failure."""

    async def fetch(self, url: str) -> Fetched: ...


class LocalFetcher:
    """Downloads on this event loop and decodes on ``executor`` (threads)."""

    def __init__(
        self, downloader: Downloader, executor: Executor | None, profile: ValidationProfile
    ) -> None:
        self.downloader, self.executor, self.profile = downloader, executor, profile

    async def fetch(self, url: str) -> Fetched:
        operation_logger("image_download", resource_id=url).debug("image download started")
        try:
            download = await self.downloader.fetch(url)
        except PixCrawlerError as error:
            return rejection(error, attempts=error.attempts)
        loop = asyncio.get_running_loop()
        operation_logger("validation", resource_id=url).debug("validation started")
        try:
            info = await loop.run_in_executor(
                self.executor, validate_image, download.content, self.profile
            )
        except ValidationError as error:
            return rejection(error, attempts=download.attempts, sha256=download.sha256)
        return Accepted(download, info)


def rejection(error: PixCrawlerError, *, attempts: int, sha256: str | None = None) -> Rejected:
    """The manifest view of a classified error."""
    return Rejected(
        _status_of(error),
        error.reason,
        type(error).__name__,
        attempts=attempts,
        retryable=isinstance(error, TransientError),
        sha256=sha256,
    )


def _status_of(error: PixCrawlerError) -> Status:
    if isinstance(error, ValidationError):
        return Status.INVALID
    if isinstance(error, PolicyError):
        return Status.FILTERED
    return Status.DOWNLOAD_FAILED
