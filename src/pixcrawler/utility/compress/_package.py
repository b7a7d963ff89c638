"""Package a dataset folder into one verified archive: ``package_dataset``."""

import io
import os
import secrets
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, TypeVar

from pixcrawler.utility.compress._checksums import (
    SUMS_NAME,
    HashingReader,
    file_sha256,
    format_sums,
    sidecar_path,
    write_sidecar,
)
from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._recompress import (
    TEXT_SUFFIXES,
    RecompressFormat,
    check_encoder,
    plan_renames,
    reencode,
    rewrite_paths,
)
from pixcrawler.utility.compress._selection import Entry, require_dataset, select_entries
from pixcrawler.utility.compress._writers import (
    ARCHIVE_FORMATS,
    SUFFIXES,
    ArchiveFormat,
    ArchiveWriter,
    open_writer,
)
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

Progress = Callable[[int, int], None]
_In = TypeVar("_In")
_Out = TypeVar("_Out")
# Encoding threads: Pillow releases the GIL while encoding, so threads use every core.
_WORKERS = min(32, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class PackageResult:
    """What :func:`package_dataset` wrote; ``checksum_manifest`` is a member of the archive."""

    path: Path
    format: ArchiveFormat
    files: int
    bytes_in: int
    bytes_out: int
    seconds: float
    sha256: str
    sidecar: Path
    checksum_manifest: str
    recompressed: int = 0


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything decided before writing starts."""

    fmt: ArchiveFormat
    top: str
    entries: list[Entry]
    renames: dict[str, str]
    recompress: RecompressFormat | None
    quality: int


@dataclass(frozen=True, slots=True)
class _Payload:
    """One member ready to add: a file to stream or bytes made in memory."""

    name: str
    data: Path | bytes
    mtime: float
    compress: bool
    temporary: bool = False


def package_dataset(
    root: Path,
    *,
    fmt: ArchiveFormat,
    out: Path | None = None,
    recompress: RecompressFormat | None = None,
    quality: int = 85,
    progress: Progress | None = None,
) -> PackageResult:
    """Write the dataset at ``root`` into one archive with a ``SHA256SUMS`` inside it.

    Members sit under a top folder named after the dataset (``pets/images/cat/…``):
    ``images/``, ``labels/``, ``metadata.jsonl``, ``manifest.jsonl``, ``report.html`` and
    ``README.md``; never the ``.pixcrawler/`` state or ``*.part`` files. The archive's own
    SHA-256 goes to ``<archive>.sha256``. The archive is written under a temporary name and
    renamed into place at the end, so a failure leaves no partial file.

    Args:
        root: the dataset folder (must hold ``metadata.jsonl``).
        fmt: ``zip`` (fast, images stored), ``7z`` (LZMA2) or ``tar.zst`` (zstd, all cores).
        out: the archive to write; ``<root.parent>/<root.name>.<ext>`` by default.
        recompress: re-encode images to ``webp`` or ``avif``; paths in metadata and label
            files inside the archive are rewritten to the new names.
        quality: encoder quality for ``recompress``, 1..100.
        progress: called with (members written, members in total) as members are added.

    Raises:
        PackagingError: not a dataset, a bad option, an unreadable file or a failed write.
    """
    root = root.resolve()
    plan = _plan(root, fmt, recompress, quality)
    target = (out or root.parent / f"{root.name}{SUFFIXES[plan.fmt]}").resolve()
    if target.is_dir():
        raise PackagingError(f"output {target} is a directory")
    bytes_in = sum(entry.size for entry in plan.entries)
    log = logger.bind(operation="compression", dataset=str(root), format=fmt, out=str(target))
    log.bind(files=len(plan.entries), bytes_in=bytes_in, recompress=recompress).info(
        "packaging started"
    )
    started = time.perf_counter()
    try:
        digest = _write_atomically(target, partial(_write_archive, plan=plan, progress=progress))
    except Exception as exc:
        seconds = round(time.perf_counter() - started, 3)
        log.bind(error_type=type(exc).__name__, seconds=seconds).error("packaging failed")
        if isinstance(exc, OSError):
            raise PackagingError(f"cannot package {root}: {exc}") from exc
        raise
    result = PackageResult(
        path=target, format=plan.fmt, files=len(plan.entries), bytes_in=bytes_in,
        bytes_out=target.stat().st_size, seconds=round(time.perf_counter() - started, 3),
        sha256=digest, sidecar=sidecar_path(target), checksum_manifest=f"{plan.top}/{SUMS_NAME}",
        recompressed=len(plan.renames),
    )  # fmt: skip
    log.bind(
        files=result.files, bytes_in=bytes_in, bytes_out=result.bytes_out, seconds=result.seconds
    ).info("packaging finished")
    return result


def _plan(root: Path, fmt: str, recompress: str | None, quality: int) -> _Plan:
    require_dataset(root)
    chosen = next((known for known in ARCHIVE_FORMATS if known == fmt), None)
    if chosen is None:
        raise PackagingError(f"unknown archive format {fmt!r}; choose {', '.join(ARCHIVE_FORMATS)}")
    if isinstance(quality, bool) or not 1 <= quality <= 100:
        raise PackagingError(f"quality must be between 1 and 100, not {quality!r}")
    encoder = check_encoder(recompress) if recompress is not None else None
    entries = select_entries(root)
    renames = plan_renames(entries, encoder) if encoder is not None else {}
    return _Plan(chosen, root.name, entries, renames, encoder, quality)


def _write_atomically(target: Path, write: Callable[[Path], None]) -> str:
    """Run ``write`` on a hidden sibling, then rename it onto ``target``; returns its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(temporary)
        digest = file_sha256(temporary)
        sidecar_path(target).unlink(missing_ok=True)  # Never leave a sidecar naming old bytes.
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    write_sidecar(target, digest, name=target.name)
    return digest


def _write_archive(path: Path, *, plan: _Plan, progress: Progress | None) -> None:
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


def _prepare(entry: Entry, *, plan: _Plan, scratch: Path) -> _Payload:
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
