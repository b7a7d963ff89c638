"""Fetch processes: downloads and decodes spread over cores, the dataset kept in one writer.

One process cannot both drive httpx and decode hundreds of images a second: the GIL makes the
event loop and the decode threads take turns. A :class:`ShardPool` starts ``processes`` fetch
processes (:mod:`pixcrawler.builder._shard_worker`), each with its own event loop, clients and
decode thread, and hands each URL to the one with the fewest requests in flight. The parent keeps
everything that must be decided in one place: quotas, per-host limits, deduplication, storage.

Per-host politeness stays exact: the parent holds the host's slot for the whole fetch, so N
processes never open more than ``per_host_concurrency`` requests to one host between them.
If a fetch process dies, its requests fail as retryable rows and the pool carries on with the
others; with none left it fetches in this process.
"""

import asyncio
import itertools
import sys
from collections import defaultdict
from types import TracebackType
from typing import Self

from pixcrawler.builder._exceptions import InfrastructureError, PixCrawlerError
from pixcrawler.builder._fetch import Fetched, Fetcher, rejection
from pixcrawler.builder._netguard import split_host
from pixcrawler.builder._shard_worker import ShardConfig, read_frame, write_frame
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

# Not ``-m``: the package imports this module first, and runpy would run a second copy.
_CHILD_MAIN = "from pixcrawler.builder._shard_worker import main; main()"
#: Seconds a fetch process gets to exit after its input closes, before it is killed.
EXIT_GRACE = 5.0


class ShardLostError(InfrastructureError):
    """A fetch process exited with requests in flight."""


class _Shard:
    """One fetch process and the requests it has not answered yet."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self.writer = process, process.stdin
        self.waiting: dict[int, asyncio.Future[Fetched]] = {}
        self.alive = True
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
                future = self.waiting.get(request)
                if future is not None and not future.done():
                    future.set_result(result)
        except (asyncio.IncompleteReadError, EOFError, ValueError) as exc:
            logger.bind(error_type=type(exc).__name__).warning("fetch process sent a bad frame")
        finally:
            self._lost()

    def _lost(self) -> None:
        self.alive = False
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(ShardLostError("fetch process exited"))


class ShardPool:
    """``processes`` fetch processes behind the :class:`Fetcher` interface."""

    def __init__(self, config: ShardConfig, processes: int, fallback: Fetcher) -> None:
        self.config, self.processes, self.fallback = config, processes, fallback
        self._shards: list[_Shard] = []
        self._requests = itertools.count()
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.settings.per_host_concurrency)
        )

    async def __aenter__(self) -> Self:
        for _ in range(self.processes):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _CHILD_MAIN,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            shard = _Shard(process)
            write_frame(shard.writer, self._child_config())
            self._shards.append(shard)
        logger.bind(processes=self.processes).debug("fetch processes started")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.shield(asyncio.gather(*(_stop(shard) for shard in self._shards)))

    async def fetch(self, url: str) -> Fetched:
        try:
            host, _ = split_host(url)
        except PixCrawlerError as error:
            return rejection(error, attempts=0)
        async with self._host_slots[host]:
            live = [shard for shard in self._shards if shard.alive]
            if not live:
                return await self.fallback.fetch(url)
            shard = min(live, key=lambda candidate: len(candidate.waiting))
            return await shard.call(next(self._requests), url)

    def _child_config(self) -> ShardConfig:
        # The parent enforces per-host limits; a child's own limit must never bind tighter.
        settings = self.config.settings.model_copy(
            update={"per_host_concurrency": self.config.settings.max_concurrency}
        )
        return ShardConfig(settings, self.config.profile, self.config.logging)


async def _stop(shard: _Shard) -> None:
    """Close the process's input, give it a moment to exit, then kill it."""
    shard.writer.close()
    try:
        await asyncio.wait_for(shard.process.wait(), EXIT_GRACE)
    except TimeoutError:
        shard.process.kill()
        await shard.process.wait()
    await shard.reader_task
