"""The in-process build: candidates → download → validate → deduplicate → store, concurrently."""

import asyncio
import os
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pixcrawler.builder._downloader import Downloader
from pixcrawler.builder._exceptions import (
    PixCrawlerError,
    PolicyError,
    TransientError,
    ValidationError,
)
from pixcrawler.builder._generator import DatasetWriter
from pixcrawler.builder._labels import LABEL_FORMATS
from pixcrawler.config import Settings
from pixcrawler.records import Candidate, Download, Outcome, Status
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.integrity import ValidationRules, inspect_image

logger = get_logger(__name__)

QUOTA_REASON = "per-class limit reached"


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What to build: the per-class cap, label formats and validation worker threads."""

    per_class: int | None = None
    label_formats: tuple[str, ...] = LABEL_FORMATS
    #: Threads decoding and hashing images; 0 uses asyncio's default executor.
    validation_workers: int = field(default_factory=lambda: os.cpu_count() or 1)


class BuildObserver(Protocol):
    """Receives progress events (the CLI draws progress bars from them)."""

    def on_outcome(self, outcome: Outcome) -> None: ...

    def on_resumed(self, candidate: Candidate) -> None: ...


class _Quota:
    """Caps kept + in-flight images per class, so a full class stops costing requests."""

    def __init__(self, kept: Counter[str], limit: int | None) -> None:
        self.kept, self.limit = kept, limit
        self.in_flight: Counter[str] = Counter()
        self._changed = asyncio.Condition()

    async def reserve(self, label: str) -> bool:
        if self.limit is None:
            return True
        limit = self.limit
        async with self._changed:
            await self._changed.wait_for(
                lambda: (
                    self.kept[label] >= limit or self.kept[label] + self.in_flight[label] < limit
                )
            )
            if self.kept[label] >= limit:
                return False
            self.in_flight[label] += 1
            return True

    async def release(self, label: str) -> None:
        if self.limit is None:
            return
        async with self._changed:
            self.in_flight[label] -= 1
            self._changed.notify_all()


class Pipeline:
    """One build run over a dataset folder."""

    def __init__(
        self, writer: DatasetWriter, downloader: Downloader, executor: Executor | None,
        rules: ValidationRules, quota: _Quota, observer: BuildObserver | None,
    ) -> None:  # fmt: skip
        self.writer, self.downloader, self.executor = writer, downloader, executor
        self.rules, self.quota, self.observer = rules, quota, observer

    async def run(self, candidates: Iterable[Candidate], concurrency: int) -> None:
        queue: asyncio.Queue[tuple[int, Candidate] | None] = asyncio.Queue(concurrency * 2)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(concurrency)]
        try:
            for order, candidate in enumerate(candidates):
                if self.writer.is_finished(candidate):
                    if self.observer:
                        self.observer.on_resumed(candidate)
                    continue
                await queue.put((order, candidate))
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self, queue: asyncio.Queue[tuple[int, Candidate] | None]) -> None:
        while (item := await queue.get()) is not None:
            outcome = await self._process(*item)
            if self.observer:
                self.observer.on_outcome(outcome)

    async def _process(self, order: int, candidate: Candidate) -> Outcome:
        if not await self.quota.reserve(candidate.label):
            outcome = Outcome(candidate, Status.FILTERED, QUOTA_REASON)
            self.writer.record(outcome, order=order, retryable=True)
            return outcome
        try:
            return await self._attempt(order, candidate)
        except Exception as exc:  # A bug must cost one row, not the whole build.
            logger.bind(url=candidate.url, error_type=type(exc).__name__).exception(
                "unexpected error"
            )
            outcome = Outcome(candidate, Status.DOWNLOAD_FAILED, f"internal error: {exc}")
            self.writer.record(outcome, order=order, retryable=True)
            return outcome
        finally:
            await self.quota.release(candidate.label)

    async def _attempt(self, order: int, candidate: Candidate) -> Outcome:
        log = logger.bind(operation="image_download", url=candidate.url, label=candidate.label)
        try:
            download = await self.downloader.fetch(candidate.url)
        except PixCrawlerError as error:
            log.bind(error_type=type(error).__name__, attempts=error.attempts).debug(error.reason)
            outcome = Outcome(candidate, _status_of(error), error.reason, attempts=error.attempts)
            self.writer.record(outcome, order=order, retryable=isinstance(error, TransientError))
            return outcome
        return await self._validate_and_store(order, candidate, download)

    async def _validate_and_store(
        self, order: int, candidate: Candidate, download: Download
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        try:
            info = await loop.run_in_executor(
                self.executor, inspect_image, download.content, self.rules
            )
        except ValidationError as error:
            outcome = Outcome(
                candidate, Status.INVALID, error.reason,
                attempts=download.attempts, sha256=download.sha256,
            )  # fmt: skip
            self.writer.record(outcome, order=order)
            return outcome
        return self.writer.store(candidate, download, info, order=order)


def _status_of(error: PixCrawlerError) -> Status:
    if isinstance(error, ValidationError):
        return Status.INVALID
    if isinstance(error, PolicyError):
        return Status.FILTERED
    return Status.DOWNLOAD_FAILED


def _executor(workers: int) -> Executor | None:
    # Threads, not processes: Pillow decodes and resizes with the GIL released, so a thread per
    # core measured as fast as a process pool (685 vs 602 img/s on 2 cores) with no start-up
    # cost and no pickling of image bytes.
    return ThreadPoolExecutor(workers, thread_name_prefix="validate") if workers > 0 else None


async def build_dataset(
    candidates: Iterable[Candidate],
    out: Path,
    settings: Settings,
    options: BuildOptions,
    observer: BuildObserver | None = None,
) -> DatasetWriter:
    """Build (or resume) the dataset at ``out``; the caller closes the returned writer.

    Whatever stops the run (the end, an error, Ctrl-C) the state is committed and the
    manifest, metadata and label files are exported, so the folder is always consistent.
    """
    writer = DatasetWriter(out, phash_threshold=settings.phash_threshold)
    executor = _executor(options.validation_workers)
    log = logger.bind(operation="build", out=str(out))
    log.info("build started")
    try:
        async with Downloader(settings) as downloader:
            pipeline = Pipeline(
                writer, downloader, executor, ValidationRules.from_settings(settings),
                _Quota(writer.kept, options.per_class), observer,
            )  # fmt: skip
            await pipeline.run(candidates, settings.max_concurrency)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        writer.export(options.label_formats)
        log.bind(kept=sum(writer.kept.values())).info("build finished")
    return writer
