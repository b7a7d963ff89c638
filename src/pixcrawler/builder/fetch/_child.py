"""A fetch process: downloads and validates the URLs its parent sends, on its own event loop.

Started by :class:`pixcrawler.builder.fetch._pool.FetchPool`, which runs :func:`main`. Frames on
stdin/stdout are length-prefixed pickles: first a :class:`FetchConfig`, then
``(request_id, url)`` requests, each answered by ``(request_id, Fetched)`` in completion order
(or ``(request_id, MemoryError)``, which the parent raises);
the process announces itself with ``(READY, None)``. End of stdin means the build is over.
"""

import asyncio
import os
import pickle
import signal
import struct
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pixcrawler.builder._downloader import Downloader
from pixcrawler.builder.fetch._image import Fetched, LocalFetcher, Rejected
from pixcrawler.builder.net import ClientPool
from pixcrawler.config import Settings
from pixcrawler.records import Status
from pixcrawler.utility.logging_config import (
    JobKey,
    configure_logging,
    get_logger,
    job_context,
    operation_logger,
)
from pixcrawler.validator.levels import ValidationProfile

logger = get_logger(__name__)

_HEADER = struct.Struct("!I")
#: The request id of the frame a fetch process sends once it can take requests.
READY = -1


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """What a fetch process needs from its parent: settings, validation and logging."""

    settings: Settings
    profile: ValidationProfile
    #: ``configure_logging`` keyword arguments, or None while the parent's logging is off.
    logging: dict[str, Any] | None
    #: The parent's job context, so this process's lines carry its user_id and job_id.
    job: JobKey = (None, None)


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next unpickled frame, or None at a clean end of stream."""
    try:
        header = await reader.readexactly(_HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    return pickle.loads(await reader.readexactly(_HEADER.unpack(header)[0]))


def write_frame(writer: asyncio.StreamWriter, value: object) -> None:
    """Queue one frame (the caller drains)."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    writer.write(_HEADER.pack(len(payload)) + payload)


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer requests until the parent closes the stream."""
    config: FetchConfig = await read_frame(reader)
    if config.logging is not None:
        configure_logging(**config.logging)
    user_id, job_id = config.job
    with job_context(job_id=job_id, user_id=user_id):
        await _serve(config, reader, writer)


async def _serve(
    config: FetchConfig, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    pending: set[asyncio.Task[None]] = set()
    clients = ClientPool(config.settings)
    with ThreadPoolExecutor(1, thread_name_prefix="validate") as executor:
        try:
            async with Downloader(config.settings, clients) as downloader:
                fetcher = LocalFetcher(downloader, executor, config.profile)
                write_frame(writer, (READY, None))
                while (request := await read_frame(reader)) is not None:
                    task = asyncio.create_task(_answer(fetcher, writer, *request))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await clients.aclose()


async def _answer(
    fetcher: LocalFetcher, writer: asyncio.StreamWriter, request: int, url: str
) -> None:
    result: Fetched | MemoryError
    try:
        result = await fetcher.fetch(url)
    except MemoryError as exc:  # the parent raises it: the build stops, a task retries
        result = MemoryError(f"out of memory in a fetch process: {exc}")
    except Exception as exc:  # A bug must cost one row, not the process.
        operation_logger(
            "image_download", url=url, resource_id=url, error_type=type(exc).__name__,
            retry_count=0,
        ).exception("unexpected error")  # fmt: skip
        result = Rejected(
            Status.DOWNLOAD_FAILED, f"internal error: {exc}", type(exc).__name__, retryable=True
        )
    write_frame(writer, (request, result))
    await writer.drain()


async def _stdio_streams(out_fd: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0)
    )
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(out_fd, "wb", buffering=0)
    )
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def _main(out_fd: int) -> None:
    reader, writer = await _stdio_streams(out_fd)
    try:
        await serve(reader, writer)
    finally:
        writer.close()


def main() -> None:
    """Process entry point: frames on the original stdout, anything printed goes to stderr."""
    # Ctrl-C reaches the whole process group; the parent decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        asyncio.run(_main(out_fd))
    except Exception as exc:  # One log line, not a traceback on the user's terminal.
        logger.bind(error_type=type(exc).__name__).opt(exception=exc).error("fetch process failed")
        sys.exit(1)
    # Nothing is left to hand back: skip the interpreter's teardown (a tenth of a second of
    # module and heap clean-up the parent would wait for). Log sinks are flushed first.
    logger.remove()
    os._exit(0)
