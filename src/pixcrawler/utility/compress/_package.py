"""Package a dataset folder into one verified archive: ``package_dataset``."""

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pixcrawler.utility.compress._assembly import ArchivePlan, Progress, write_archive
from pixcrawler.utility.compress._checksums import (
    SUMS_NAME,
    file_sha256,
    sidecar_path,
    write_sidecar,
)
from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._recompress import RecompressFormat, check_encoder, plan_renames
from pixcrawler.utility.compress._selection import require_dataset, select_entries
from pixcrawler.utility.compress._writers import ARCHIVE_FORMATS, SUFFIXES, ArchiveFormat
from pixcrawler.utility.logging_config import get_logger, operation_logger

logger = get_logger(__name__)


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
    plan = _plan(root.resolve(), out, fmt, recompress, quality)
    log = operation_logger(
        "compression", dataset=str(plan.root), format=plan.fmt, out=str(plan.target)
    )
    log.bind(files=len(plan.entries), bytes_in=plan.bytes_in, recompress=recompress).info(
        "packaging started"
    )
    started = time.perf_counter()
    try:
        digest = _write_atomically(
            plan.target, partial(write_archive, plan=plan, progress=progress)
        )
    except Exception as exc:
        log.bind(
            error_type=type(exc).__name__, error=str(exc), resource_id=str(plan.root),
            retry_count=0, seconds=_since(started),
        ).error("packaging failed")  # fmt: skip
        if isinstance(exc, OSError):
            raise PackagingError(f"cannot package {plan.root}: {exc}") from exc
        raise
    result = PackageResult(
        path=plan.target, format=plan.fmt, files=len(plan.entries), bytes_in=plan.bytes_in,
        bytes_out=plan.target.stat().st_size, seconds=_since(started), sha256=digest,
        sidecar=sidecar_path(plan.target), checksum_manifest=f"{plan.top}/{SUMS_NAME}",
        recompressed=len(plan.renames),
    )  # fmt: skip
    log.bind(
        files=result.files, bytes_in=result.bytes_in, bytes_out=result.bytes_out,
        seconds=result.seconds,
    ).info("packaging finished")  # fmt: skip
    return result


def _plan(
    root: Path, out: Path | None, fmt: str, recompress: str | None, quality: int
) -> ArchivePlan:
    """Check every option and list the files, before anything is written."""
    require_dataset(root)
    chosen = next((known for known in ARCHIVE_FORMATS if known == fmt), None)
    if chosen is None:
        raise PackagingError(f"unknown archive format {fmt!r}; choose {', '.join(ARCHIVE_FORMATS)}")
    if isinstance(quality, bool) or not 1 <= quality <= 100:
        raise PackagingError(f"quality must be between 1 and 100, not {quality!r}")
    encoder = check_encoder(recompress) if recompress is not None else None
    target = (out or root.parent / f"{root.name}{SUFFIXES[chosen]}").resolve()
    if target.is_dir():
        raise PackagingError(f"output {target} is a directory")
    entries = select_entries(root)
    renames = plan_renames(entries, encoder) if encoder is not None else {}
    return ArchivePlan(root, target, chosen, entries, renames, encoder, quality)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


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
