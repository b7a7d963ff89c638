"""Fetch processes: downloads and decodes spread over cores, the dataset kept in one writer.

One process cannot both drive httpx and decode hundreds of images a second: the GIL makes the
event loop and the decode threads take turns. A :class:`FetchPool` starts ``processes`` fetch
processes (:mod:`pixcrawler.builder.fetch._child`), each with its own event loop, clients and
decode thread, and hands each URL to the one with the fewest requests in flight. The parent keeps
everything that must be decided in one place: quotas, per-host limits, deduplication, storage.

Per-host politeness stays exact: the parent holds the host's slot for the whole fetch, so N
processes never open more than ``per_host_concurrency`` requests to one host between them.
Until the first fetch process is ready (about half a second of imports) and if every one of
them is lost, this process fetches itself, so a short list pays no start-up wait. If a fetch
process dies, its requests fail as retryable rows and the pool carries on with the others.
"""

import asyncio
import contextlib
import itertools
import pickle
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Self

from pixcrawler.builder.fetch._child import READY, FetchConfig, read_frame, write_frame
from pixcrawler.builder.fetch._image import Fetched, Fetcher, rejection
from pixcrawler.builder.net import HostSlots
from pixcrawler.errors import InfrastructureError, PixCrawlerError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

# Not ``-m``: the package imports this module first, and runpy would run a second copy.
# SIGINT is ignored before the imports: a Ctrl-C reaching the process group while a child is
# still importing would print a KeyboardInterrupt traceback; the parent decides when it ends.
_CHILD_MAIN = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "from pixcrawler.builder.fetch._child import main; main()"
)
#: Seconds to wait for a fetch process to start when ``warm_start`` is off.
START_TIMEOUT = 30.0
#: Seconds a fetch process gets to exit after its input closes, before it is killed.
EXIT_GRACE = 5.0


class FetchProcessLostError(InfrastructureError):
    """A fetch process exited with requests in flight."""


class _Child:
    """One fetch process and the requests it has not answered yet."""

    def __init__(self, process: asyncio.subprocess.Process, on_change: Callable[[], None]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self.writer, self.on_change = process, process.stdin, on_change
        self.waiting: dict[int, asyncio.Future[Fetched]] = {}
        self.alive, self.ready = True, False
        self.reader_task = asyncio.create_task(self._read(process.stdout))

    async def call(self, request: int, url: str) -> Fetched:
        future: asyncio.Future[Fetched] = asyncio.get_running_loop().create_future()
        self.waiting[request] = future
        try:
            write_frame(self.writer, (request, url))
            await self.writer.drain()
            return await future
        finally:
            self.waiting.pop(request, None)

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        try:
            while (frame := await read_frame(stdout)) is not None:
                request, result = frame
                if request == READY:
                    self.ready = True
                    self.on_change()
                future = self.waiting.get(request)
                if future is None or future.done():
                    continue
                if isinstance(result, MemoryError):  # out of memory there: raised here
                    future.set_exception(result)
                else:
                    future.set_result(result)
        except (asyncio.IncompleteReadError, EOFError, ValueError, pickle.UnpicklingError) as exc:
            logger.bind(error_type=type(exc).__name__).warning("fetch process sent a bad frame")
        finally:
            self._lost()

    def _lost(self) -> None:
        if not self.writer.is_closing():  # not stopped by us
            logger.bind(pid=self.process.pid, in_flight=len(self.waiting)).warning(
                "fetch process exited; its images are tried again by the next run"
            )
        self.alive = self.ready = False
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(FetchProcessLostError("fetch process exited"))
        self.on_change()


class FetchPool:
    """``processes`` fetch processes behind the :class:`Fetcher` interface."""

    def __init__(
        self, config: FetchConfig, processes: int, fallback: Fetcher, *, warm_start: bool = True
    ) -> None:
        self.config, self.processes, self.fallback = config, processes, fallback
        #: Fetch here while the processes start; False waits for the first one (tests do).
        self.warm_start = warm_start
        self._settled = asyncio.Event()  # one process is ready, or none is left
        self._children: list[_Child] = []
        self._requests = itertools.count()
        self._host_slots = HostSlots(config.settings.per_host_concurrency)

    async def __aenter__(self) -> Self:
        for _ in range(self.processes):
            try:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", _CHILD_MAIN,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    # Its own process group: a terminal's Ctrl-C reaches only this process,
                    # never a child still importing (a KeyboardInterrupt traceback there); the
                    # parent ends its children by closing their input.
                    process_group=0,
                )  # fmt: skip
            except OSError as exc:  # out of processes or file descriptors: fewer fetchers
                logger.bind(error_type=type(exc).__name__, error=str(exc)).warning(
                    "cannot start a fetch process"
                )
                break
            child = _Child(process, self._on_change)
            write_frame(child.writer, self._child_config())
            self._children.append(child)
        self._on_change()
        logger.bind(processes=len(self._children)).debug("fetch processes started")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        logger.debug("stopping fetch processes")
        await asyncio.shield(asyncio.gather(*(_stop(child) for child in self._children)))
        logger.bind(exit_codes=[child.process.returncode for child in self._children]).debug(
            "fetch processes stopped"
        )

    async def fetch(self, url: str) -> Fetched:
        try:
            slot = self._host_slots.slot(url)
        except PixCrawlerError as error:
            return rejection(error, attempts=0)
        async with slot:
            child = await self._pick()
            if child is None:
                return await self.fallback.fetch(url)
            return await child.call(next(self._requests), url)

    async def _pick(self) -> "_Child | None":
        """The ready process with the fewest requests in flight; None means fetch here."""
        if not self.warm_start:
            with contextlib.suppress(TimeoutError):  # a process that never starts: fetch here
                await asyncio.wait_for(self._settled.wait(), START_TIMEOUT)
        ready = [child for child in self._children if child.ready]
        return min(ready, key=lambda child: len(child.waiting)) if ready else None

    def _on_change(self) -> None:
        if any(child.ready for child in self._children) or not any(
            child.alive for child in self._children
        ):
            self._settled.set()

    def _child_config(self) -> FetchConfig:
        # The parent enforces per-host limits; a child's own limit must never bind tighter.
        settings = self.config.settings.model_copy(
            update={"per_host_concurrency": self.config.settings.max_concurrency}
        )
        return FetchConfig(settings, self.config.profile, self.config.logging, self.config.job)


async def _stop(child: _Child) -> None:
    """Close the process's input, give it a moment to exit, then kill it.

    One still importing has had no request: it is stopped at once rather than waited for.
    """
    child.writer.close()
    if not child.ready and child.process.returncode is None:
        child.process.terminate()
    try:
        await asyncio.wait_for(child.process.wait(), EXIT_GRACE)
    except TimeoutError:
        child.process.kill()
        await child.process.wait()
    await child.reader_task
