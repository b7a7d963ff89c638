"""``pixcrawler package`` and ``pixcrawler verify``: archives a dataset can travel in."""

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pixcrawler.cli._common import app, console, fail, out
from pixcrawler.utility.logging_config import job_context, local_user

# Archive libraries (py7zr, zstandard) load only when a packaging command runs: every other
# command starts faster without them.
ARCHIVE_FORMATS = ("zip", "7z", "tar.zst")
RECOMPRESS_FORMATS = ("webp", "avif")


@app.command()
def package(
    folder: Annotated[Path, typer.Argument(help="A dataset folder built by pixcrawler.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="zip (hot, fast), 7z (warm, LZMA2), tar.zst.")
    ] = "zip",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Archive path.")] = None,
    recompress: Annotated[
        str | None, typer.Option(help="Re-encode images as webp or avif while packaging.")
    ] = None,
    quality: Annotated[int, typer.Option(help="Quality for --recompress, 1-100.")] = 85,
    webdataset: Annotated[
        Path | None, typer.Option(help="Also write WebDataset tar shards into this folder.")
    ] = None,
    shard_size: Annotated[int, typer.Option(help="Samples per WebDataset shard.")] = 1000,
) -> None:
    """Archive FOLDER with a SHA256SUMS inside and a .sha256 beside it; optionally shard it."""
    from pixcrawler.utility.compress import (
        ArchiveFormat,
        PackagingError,
        RecompressFormat,
        package_dataset,
        write_webdataset,
    )

    archive_format = cast(ArchiveFormat, _choice(fmt, "--format", ARCHIVE_FORMATS))
    target = (
        None
        if recompress is None
        else cast(RecompressFormat, _choice(recompress, "--recompress", RECOMPRESS_FORMATS))
    )
    if not folder.is_dir():
        fail(f"{folder} is not a directory")
    # A local job: the dataset folder's name and the OS user (docs/LOGGING_GUIDE.md).
    try:
        with (
            job_context(job_id=folder.resolve().name, user_id=local_user()),
            _bar("packaging") as advance,
        ):
            result = package_dataset(
                folder, fmt=archive_format, out=output, recompress=target, quality=quality,
                progress=advance,
            )  # fmt: skip
        with job_context(job_id=folder.resolve().name, user_id=local_user()):
            shards = (
                write_webdataset(folder, webdataset, shard_size=shard_size) if webdataset else []
            )
    except PackagingError as exc:
        fail(str(exc))
    out.print(
        f"{result.path}  {result.files} files, {result.bytes_in:,} → {result.bytes_out:,} bytes "
        f"in {result.seconds:.1f} s\nsha256 {result.sha256}  ({result.sidecar})",
        highlight=False,
    )
    for shard in shards:
        out.print(f"shard {shard}", highlight=False)


@app.command()
def verify(archive: Annotated[Path, typer.Argument(help="An archive made by package.")]) -> None:
    """Check an archive against its .sha256 sidecar and its SHA256SUMS, member by member."""
    from pixcrawler.utility.compress import PackagingError, verify_archive

    if not archive.is_file():
        fail(f"{archive} is not a file")
    try:
        result = verify_archive(archive)
    except PackagingError as exc:
        fail(str(exc))
    for problem in result.problems:
        out.print(f"problem\t{problem}", highlight=False)
    out.print(f"{result.checked} members checked: {'ok' if result.ok else 'FAILED'}")
    raise typer.Exit(0 if result.ok else 1)


def _choice(value: str, option: str, allowed: tuple[str, ...]) -> str:
    if value.lower() in allowed:
        return value.lower()
    fail(f"unknown {option} {value!r}; use {', '.join(allowed)}")


class _bar:  # noqa: N801 - used as a context manager like a function
    """A Rich progress bar whose ``advance(done, total)`` suits ``package_dataset``."""

    def __init__(self, description: str) -> None:
        self.progress = Progress(
            TextColumn(description), BarColumn(), MofNCompleteColumn(), console=console
        )
        self.task = self.progress.add_task(description, total=None)

    def __enter__(self) -> "_bar":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)
