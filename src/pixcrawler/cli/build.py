"""``pixcrawler build``: keywords or URL lists in, a dataset folder out."""

import asyncio
import itertools
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from pixcrawler.builder import BuildOptions, DatasetError, DatasetWriter, build_dataset
from pixcrawler.builder.dataset import (
    LABEL_FORMATS,
    engine_queries,
    funnel_by_class,
    funnel_by_source,
    top_reasons,
)
from pixcrawler.builder.discovery import KeywordPlan, SourceError, count_candidates, read_url_list
from pixcrawler.builder.discovery.engines import (
    DEFAULT_ENGINES,
    ENGINES,
    get_engine,
    parse_engine_list,
)
from pixcrawler.builder.discovery.keywords import KeywordError, normalize_keyword
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.cli._common import app, console, fail, out, split_list
from pixcrawler.cli._console import ProgressObserver, engines_table, funnel_table, reasons_table
from pixcrawler.config import Settings, get_settings
from pixcrawler.licenses import parse_license_list
from pixcrawler.records import Candidate
from pixcrawler.validator.levels import ValidationLevel

#: Keyword classes stop at this many kept images unless --per-class says otherwise.
DEFAULT_KEYWORD_PER_CLASS = 100


@app.command()
def build(
    keywords: Annotated[
        list[str] | None, typer.Argument(help="Keywords; each becomes a class.", show_default=False)
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder (created).")] = Path(
        "dataset"
    ),
    source: Annotated[
        list[Path] | None,
        typer.Option("--source", "-s", help="URL list: .txt .csv .jsonl .parquet (repeatable)."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="Class of a txt list (default: stem).")] = None,
    url_column: Annotated[str, typer.Option(help="URL column in csv/jsonl/parquet.")] = "url",
    label_column: Annotated[str, typer.Option(help="Class column.")] = "label",
    per_class: Annotated[
        int | None,
        typer.Option(
            help=f"Stop a class at N kept images (keywords: {DEFAULT_KEYWORD_PER_CLASS})."
        ),
    ] = None,
    engines: Annotated[str, typer.Option(help="Search engines, comma-separated.")] = ",".join(
        DEFAULT_ENGINES
    ),
    license_: Annotated[
        str, typer.Option("--license", help="Licences to keep, e.g. cc0,by,by-sa (default any).")
    ] = "",
    seed: Annotated[int, typer.Option(help="Seed for the order of keyword variations.")] = 0,
    variations: Annotated[
        int | None, typer.Option(help="Most query variations per keyword.")
    ] = None,
    labels: Annotated[str, typer.Option(help="Label formats: json,csv,yaml,txt.")] = ",".join(
        LABEL_FORMATS
    ),
    validation_level: Annotated[
        ValidationLevel | None,
        typer.Option(help="fast: integrity; medium: + quality gates; slow: + EXIF, wider dedup."),
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Concurrent downloads.")] = None,
    processes: Annotated[
        int | None, typer.Option(help="Processes downloading and decoding (default: one per core).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    distributed: Annotated[
        bool, typer.Option(help="Run on Celery workers (pixcrawler worker); Ctrl-C detaches.")
    ] = False,
) -> None:
    """Build (or resume) a dataset; rerun the same command to continue where it stopped.

    Examples: pixcrawler build "golden retriever" "tabby cat" --per-class 200 --out pets;
    pixcrawler build --source urls.csv --out mine
    """
    if bool(keywords) == bool(source):
        fail("give keywords or --source URL lists (one of the two)")
    if per_class is not None and per_class < 1:
        fail("--per-class must be at least 1")
    if variations is not None and variations < 1:
        fail("--variations must be at least 1")
    settings = _settings_with(concurrency)
    total: int | None = None
    plan: KeywordPlan | Iterator[Candidate]
    if keywords:
        per_class = per_class or DEFAULT_KEYWORD_PER_CLASS
        plan = _keyword_plan(keywords, engines, license_, seed, variations)
    else:
        total = _check_sources(source or [])
        plan = _candidates(source or [], label, url_column, label_column)
    options = BuildOptions(
        per_class=per_class,
        label_formats=_label_formats(labels),
        validation_level=validation_level,
        processes=_processes(settings, processes),
    )
    if distributed:
        spec = _job_spec(plan, options, settings, label, url_column, label_column)
        _distributed(spec, source or [], out_dir)
        return
    writer = _run(plan, out_dir, settings, options, total, quiet)
    try:
        classes = plan.keywords if isinstance(plan, KeywordPlan) else ()
        _summarize(writer, out_dir, per_class, classes)
    finally:
        writer.close()


def _job_spec(
    plan: KeywordPlan | Iterator[Candidate],
    options: BuildOptions,
    settings: Settings,
    label: str | None,
    url_column: str,
    label_column: str,
) -> JobSpec:
    """The job this command asks for; the level is fixed here, as a local build fixes it."""
    common: dict[str, Any] = {
        "per_class": options.per_class,
        "label_formats": options.label_formats,
        "validation_level": options.validation_level or ValidationLevel(settings.validation_level),
    }
    if isinstance(plan, KeywordPlan):
        return JobSpec(
            kind=JobKind.KEYWORDS, keywords=plan.keywords, engines=plan.engines,
            licenses=plan.licenses, seed=plan.seed, variations=plan.max_variations, **common,
        )  # fmt: skip
    return JobSpec(
        kind=JobKind.URL_LIST, label=label, url_column=url_column, label_column=label_column,
        **common,
    )  # fmt: skip


def _distributed(spec: JobSpec, sources: list[Path], out_dir: Path) -> None:
    from pixcrawler.cli.jobs import run_distributed

    run_distributed(spec, sources, out_dir)


def _run(
    plan: KeywordPlan | Iterator[Candidate],
    out_dir: Path,
    settings: Settings,
    options: BuildOptions,
    total: int | None,
    quiet: bool,
) -> DatasetWriter:
    observer = None if quiet else ProgressObserver(console, total, options.per_class)
    # SIGTERM (kill, a supervisor stopping us) gets the same clean stop as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if observer is None:
            return asyncio.run(build_dataset(plan, out_dir, settings, options))
        with observer:
            return asyncio.run(build_dataset(plan, out_dir, settings, options, observer))
    except (SourceError, DatasetError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(f"interrupted; {out_dir} is consistent, rerun the same command to resume", 130)
    except MemoryError:
        fail(
            f"out of memory; {out_dir} is consistent: free some memory (or lower --concurrency) "
            "and rerun the same command to resume"
        )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _summarize(
    writer: DatasetWriter, out_dir: Path, per_class: int | None, keywords: tuple[str, ...]
) -> None:
    out.print(funnel_table(funnel_by_class(writer.conn)))
    sources = funnel_by_source(writer.conn)
    if len(sources) > 1 or (sources and sources[0].label != "url_list"):
        out.print(funnel_table(sources, title="Funnel by source", first="source"))
    queries = engine_queries(writer.conn)
    if queries:
        out.print(engines_table(queries))
    if per_class is not None:
        _print_shortfalls(writer, per_class, keywords)
    reasons = top_reasons(writer.conn)
    if reasons:
        out.print(reasons_table(reasons))
    out.print(f"dataset: {out_dir}  (manifest.jsonl explains every URL)", highlight=False)
    if (out_dir / "report.html").is_file():
        out.print(f"report:  {out_dir / 'report.html'}", highlight=False)


def _print_shortfalls(writer: DatasetWriter, per_class: int, keywords: tuple[str, ...]) -> None:
    kept = {funnel.label: funnel.kept for funnel in funnel_by_class(writer.conn)}
    why = (
        "every engine and variation was exhausted (see Engines and the manifest)"
        if keywords
        else "the URL list ran out"
    )
    for label in keywords or tuple(kept):
        if kept.get(label, 0) < per_class:
            out.print(
                f"[yellow]{label}: {kept.get(label, 0)} of {per_class} kept[/yellow] — {why}",
                highlight=False,
            )


def _keyword_plan(
    raw: list[str], engines: str, licenses: str, seed: int, variations: int | None
) -> KeywordPlan:
    try:
        engine_names = parse_engine_list(engines)
        wanted = parse_license_list(licenses)
    except ValueError as exc:
        fail(str(exc))
    kept: dict[str, None] = {}
    for position, text in enumerate(raw, start=1):
        try:
            kept.setdefault(normalize_keyword(text), None)
        except KeywordError as exc:
            console.print(f"[yellow]skipped keyword {position}:[/yellow] {exc}", highlight=False)
    if not kept:
        fail("no usable keyword")
    if wanted and not any(get_engine(name).supports_licenses for name in engine_names):
        aware = ", ".join(name for name, e in ENGINES.items() if e.supports_licenses)
        fail(f"--license needs an engine that reports licences ({aware})")
    return KeywordPlan(tuple(kept), engine_names, wanted, seed=seed, max_variations=variations)


def _label_formats(value: str) -> tuple[str, ...]:
    formats = split_list(value)
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


def _processes(settings: Settings, processes: int | None) -> int:
    if processes is not None and processes < 1:
        fail("--processes must be at least 1")
    return processes or settings.processes or os.cpu_count() or 1


def _settings_with(concurrency: int | None) -> Settings:
    settings = get_settings()
    if concurrency is None:
        return settings
    if concurrency < 1:
        fail("--concurrency must be at least 1")
    return settings.model_copy(update={"max_concurrency": concurrency})
