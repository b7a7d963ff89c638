"""Stream a planned set of dataset files into an archive, re-encoding images on a thread pool."""

import io
import os
import secrets
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, TypeVar

from pixcrawler.utility.compress._checksums import SUMS_NAME, HashingReader, format_sums
from pixcrawler.utility.compress._recompress import (
    TEXT_SUFFIXES,
    RecompressFormat,
    reencode,
    rewrite_paths,
)
from pixcrawler.utility.compress._selection import Entry
from pixcrawler.utility.compress._writers import ArchiveFormat, ArchiveWriter, open_writer

Progress = Callable[[int, int], None]
_In = TypeVar("_In")
_Out = TypeVar("_Out")
# Encoding threads: Pillow releases the GIL while encoding, so threads use every core.
_WORKERS = min(32, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class ArchivePlan:
    """Everything decided before writing starts."""

    root: Path
    target: Path
    fmt: ArchiveFormat
    entries: list[Entry]
    renames: dict[str, str]
    recompress: RecompressFormat | None
    quality: int

    @property
    def top(self) -> str:
        """The archive's top folder: the dataset's name."""
        return self.root.name

    @property
    def bytes_in(self) -> int:
        """Bytes of the dataset files going in."""
        return sum(entry.size for entry in self.entries)


@dataclass(frozen=True, slots=True)
class _Payload:
    """One member ready to add: a file to stream or bytes made in memory."""

    name: str
    data: Path | bytes
    mtime: float
    compress: bool
    temporary: bool = False


def write_archive(path: Path, *, plan: ArchivePlan, progress: Progress | None) -> None:
    """Write every planned member, then ``SHA256SUMS`` over them, into a new archive at ``path``."""
    total, digests = len(plan.entries), dict[str, str]()
    with (
        open_writer(plan.fmt, path) as writer,
        tempfile.TemporaryDirectory(prefix="pixcrawler-package-") as scratch,
        ThreadPoolExecutor(_WORKERS, thread_name_prefix="recompress") as pool,
    ):
        prepare = partial(_prepare, plan=plan, scratch=Path(scratch))
        payloads = (
            _ordered_map(pool, prepare, plan.entries)
            if plan.renames
            else map(prepare, plan.entries)
        )
        if progress is not None:
            progress(0, total)
        for done, payload in enumerate(payloads, 1):
            digests[payload.name] = _add(writer, plan.top, payload)
            if progress is not None:
                progress(done, total)
        sums = format_sums(digests)
        # The newest member's time, so the same dataset always gives the same bytes.
        stamp = max((entry.mtime for entry in plan.entries), default=0.0)
        writer.add(f"{plan.top}/{SUMS_NAME}", io.BytesIO(sums), len(sums), stamp, compress=True)


def _prepare(entry: Entry, *, plan: ArchivePlan, scratch: Path) -> _Payload:
    """Re-encode a renamed image or rewrite a text file when recompressing; else pass through."""
    compress = not entry.is_image
    if plan.recompress is not None and entry.name in plan.renames:
        data = reencode(entry.source, plan.recompress, plan.quality)
        return _Payload(plan.renames[entry.name], data, entry.mtime, compress=False)
    if plan.renames and entry.source.suffix.lower() in TEXT_SUFFIXES:
        rewritten = scratch / secrets.token_hex(8)
        with rewritten.open("xb") as target:
            rewrite_paths(entry.source, plan.renames, target)
        return _Payload(entry.name, rewritten, entry.mtime, compress, temporary=True)
    return _Payload(entry.name, entry.source, entry.mtime, compress)


def _add(writer: ArchiveWriter, top: str, payload: _Payload) -> str:
    """Stream one payload into the archive; returns the SHA-256 of the bytes added."""
    raw: BinaryIO
    if isinstance(payload.data, bytes):
        size, raw = len(payload.data), io.BytesIO(payload.data)
    else:
        size, raw = payload.data.stat().st_size, payload.data.open("rb")
    with raw:
        reader = HashingReader(raw)
        writer.add(f"{top}/{payload.name}", reader, size, payload.mtime, compress=payload.compress)
    if payload.temporary and isinstance(payload.data, Path):
        payload.data.unlink()
    return reader.digest.hexdigest()


def _ordered_map(
    pool: ThreadPoolExecutor, work: Callable[[_In], _Out], items: Iterable[_In]
) -> Iterator[_Out]:
    """``pool.map`` that stays only a few tasks ahead of its consumer, so memory stays flat."""
    ahead = 2 * _WORKERS
    pending: deque[Future[_Out]] = deque()
    for item in items:
        pending.append(pool.submit(work, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
