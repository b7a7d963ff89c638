"""The ``pixcrawler`` command line: a thin shell over the library."""

import asyncio
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NoReturn

import pydantic
import typer
from rich.console import Console

from pixcrawler._console import ProgressObserver, funnel_table, reasons_table
from pixcrawler.builder._funnel import funnel_by_class, top_reasons
from pixcrawler.builder._generator import DatasetError
from pixcrawler.builder._labels import LABEL_FORMATS
from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.builder._sources import SourceError, count_candidates, read_url_list
from pixcrawler.config import Settings, get_settings
from pixcrawler.records import Candidate
from pixcrawler.utility.logging_config import configure_logging, get_logger
from pixcrawler.validator.folder import dedup_folder, validate_folder
from pixcrawler.validator.integrity import ValidationRules

logger = get_logger(__name__)
app = typer.Typer(
    help="Turn URL lists into clean, labelled image datasets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line and exit non-zero; never a traceback for bad input."""
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@app.callback()
def main_options(
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING, ERROR.")] = "",
    log_format: Annotated[str, typer.Option(help="console or json.")] = "",
) -> None:
    """Configure logging once for every command."""
    try:
        settings = get_settings()
    except pydantic.ValidationError as exc:
        fail(_settings_error(exc))
    level = (log_level or settings.log_level).upper()
    if level not in {"TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"}:
        fail(f"unknown log level {log_level!r}")
    fmt = log_format or settings.log_format
    if fmt not in {"console", "json"}:
        fail(f"unknown log format {log_format!r} (use console or json)")
    configure_logging(level=level, fmt=fmt, development=settings.environment == "development")


def _settings_error(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    name = "PIXCRAWLER_" + "_".join(str(part) for part in first["loc"]).upper()
    return f"invalid setting {name}: {first['msg']}"


def _label_formats(value: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in LABEL_FORMATS]
    if unknown or not formats:
        named = ", ".join(unknown) or repr(value)
        fail(f"unknown label format {named}; use {','.join(LABEL_FORMATS)}")
    return formats


def _candidates(
    sources: list[Path], label: str | None, url_column: str, label_column: str
) -> Iterator[Candidate]:
    return itertools.chain.from_iterable(
        read_url_list(s, label=label, url_column=url_column, label_column=label_column)
        for s in sources
    )


def _check_sources(sources: list[Path]) -> int | None:
    totals = []
    for source in sources:
        if not source.exists():
            fail(f"cannot read source {source}: no such file")
        try:
            totals.append(count_candidates(source))
        except SourceError as exc:
            fail(str(exc))
    return None if None in totals else sum(t for t in totals if t is not None)


def _settings_with(concurrency: int | None) -> Settings:
    settings = get_settings()
    if concurrency is None:
        return settings
    if concurrency < 1:
        fail("--concurrency must be at least 1")
    return settings.model_copy(update={"max_concurrency": concurrency})


@app.command()
def build(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder (created).")],
    source: Annotated[
        list[Path], typer.Option("--source", "-s", help="URL list: .txt .csv .jsonl .parquet")
    ],
    label: Annotated[str | None, typer.Option(help="Class of a txt list (default: stem).")] = None,
    url_column: Annotated[str, typer.Option(help="URL column in csv/jsonl/parquet.")] = "url",
    label_column: Annotated[str, typer.Option(help="Class column.")] = "label",
    per_class: Annotated[int | None, typer.Option(help="Stop a class at N kept images.")] = None,
    labels: Annotated[str, typer.Option(help="Label formats: json,csv,yaml,txt.")] = ",".join(
        LABEL_FORMATS
    ),
    concurrency: Annotated[int | None, typer.Option(help="Concurrent downloads.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Build (or resume) a dataset from URL lists; rerun the same command to continue."""
    if per_class is not None and per_class < 1:
        fail("--per-class must be at least 1")
    options = BuildOptions(per_class=per_class, label_formats=_label_formats(labels))
    settings = _settings_with(concurrency)
    total = _check_sources(source)
    candidates = _candidates(source, label, url_column, label_column)
    observer = ProgressObserver(console, total, per_class)
    try:
        with observer if not quiet else _NoProgress():
            writer = asyncio.run(
                build_dataset(candidates, out_dir, settings, options, None if quiet else observer)
            )
    except (SourceError, DatasetError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(f"interrupted; {out_dir} is consistent, rerun the same command to resume", 130)
    try:
        out.print(funnel_table(funnel_by_class(writer.conn)))
        reasons = top_reasons(writer.conn)
        if reasons:
            out.print(reasons_table(reasons))
        out.print(f"dataset: {out_dir}  (manifest.jsonl explains every URL)")
    finally:
        writer.close()


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="A folder of images (any layout).")],
) -> None:
    """Fully decode every image in FOLDER and report the ones that fail, with reasons."""
    if not folder.is_dir():
        fail(f"{folder} is not a directory")
    rules = ValidationRules.from_settings(get_settings())
    bad = total = 0
    for result in validate_folder(folder, rules):
        total += 1
        if not result.ok:
            bad += 1
            out.print(f"invalid\t{result.path}\t{result.reason}", highlight=False)
    out.print(f"{total} files checked, {bad} invalid", highlight=False)
    raise typer.Exit(1 if bad else 0)


@app.command()
def dedup(
    folder: Annotated[Path, typer.Argument(help="A folder of images (any layout).")],
    threshold: Annotated[int | None, typer.Option(help="pHash Hamming distance.")] = None,
) -> None:
    """List exact and near duplicates in FOLDER (and cross-class leakage); changes nothing."""
    if not folder.is_dir():
        fail(f"{folder} is not a directory")
    radius = get_settings().phash_threshold if threshold is None else threshold
    if not 0 <= radius <= 64:
        fail("--threshold must be between 0 and 64")
    count = 0
    for dup in dedup_folder(folder, radius):
        count += 1
        leak = "\tcross-class" if dup.cross_class else ""
        out.print(
            f"{dup.kind}\t{dup.path}\t{dup.duplicate_of}\t{dup.distance}{leak}", highlight=False
        )
    out.print(f"{count} duplicates", highlight=False)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
