"""``pixcrawler jobs export | validate | check``: a completed job's dataset.

``export`` copies it from storage into a folder, laid out as a local build (no URL is fetched
again). ``validate`` and ``check`` run on the workers (the ``validation`` queue), demote what
fails, and rewrite the job's exports and hot ZIP; export the job again afterwards.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from pixcrawler.cli._common import console, fail, out
from pixcrawler.cli.jobs import jobs_app
from pixcrawler.errors import PixCrawlerError
from pixcrawler.validator.levels import ValidationLevel


@jobs_app.command("export")
def export(
    job_id: str,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Dataset folder (created; must be new or empty).")
    ],
) -> None:
    """Copy a completed job's dataset into a folder, laid out exactly as a local build."""
    from pixcrawler.backend.distributed import export_job
    from pixcrawler.cli._job_lookup import open_context, resolve_job

    job_id = resolve_job(job_id)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        fail(f"{out_dir} is not an empty folder; export into a new one")
    _require_completed(job_id)
    try:
        files = export_job(open_context(), job_id=job_id, dest=out_dir)
    except PixCrawlerError as exc:
        fail(f"export of job {job_id} stopped: {exc.reason}", 1)
    out.print(f"dataset: {out_dir}  ({files} files from job {job_id})", highlight=False)


@jobs_app.command("validate")
def validate(
    job_id: str,
    level: Annotated[
        ValidationLevel,
        typer.Option(help="fast: integrity; medium: + quality gates; slow: + EXIF checks."),
    ] = ValidationLevel.MEDIUM,
) -> None:
    """Validate a completed job's kept images again at LEVEL, on the workers; the ones that
    fail are demoted (invalid), and the exports and hot ZIP rewritten."""
    from pixcrawler.celery_app import send_validation
    from pixcrawler.cli._job_lookup import resolve_job

    job_id = resolve_job(job_id)
    _require_completed(job_id)
    run_id = f"{job_id}-validate-{uuid.uuid4().hex[:8]}"
    with _broker_errors():
        sent = send_validation(job_id, str(level), run_id)
    steps = _outcome(sent, job_id, "planning the validation")
    *chunks, labels = [_outcome(_result(step), job_id, "validation") for step in steps]
    checked = sum(int(chunk["checked"]) for chunk in chunks)
    rejected = sum(int(chunk["rejected"]) for chunk in chunks)
    _done(job_id, f"{checked} kept images validated at {level}, {rejected} rejected", labels)


@jobs_app.command("check")
def check(job_id: str) -> None:
    """Check a completed job's stored images on the workers: each file re-hashed against its
    record (missing or altered ones demoted), then job-wide dedup; exports rewritten."""
    from pixcrawler.celery_app import BUILDER, VALIDATOR, send_chain
    from pixcrawler.cli._job_lookup import resolve_job

    job_id = resolve_job(job_id)
    _require_completed(job_id)
    run_id = f"{job_id}-check-{uuid.uuid4().hex[:8]}"
    with _broker_errors():
        integrity, duplicates, labels = send_chain([
            (f"{VALIDATOR}.check_integrity", {"job_id": job_id}, f"{run_id}-integrity"),
            (f"{VALIDATOR}.check_duplicates", {"job_id": job_id}, f"{run_id}-duplicates"),
            (f"{BUILDER}.generate_labels", {"job_id": job_id}, f"{run_id}-labels"),
        ])  # fmt: skip
    files = _outcome(integrity, job_id, "the integrity check")
    demoted = _outcome(duplicates, job_id, "the duplicate check")
    summary = (f"{files['checked']} kept images re-hashed, {files['missing']} missing, "
               f"{files['altered']} altered; {demoted} duplicates demoted")  # fmt: skip
    _done(job_id, summary, _outcome(labels, job_id, "rewriting the exports"))


def _require_completed(job_id: str) -> None:
    from pixcrawler.backend.db import job_progress, session_scope
    from pixcrawler.cli._job_lookup import database_errors, open_context

    with database_errors(), session_scope(open_context().sessions) as session:
        status = job_progress(session, job_id=job_id).status
    if status == "failed":
        fail(f"job {job_id} failed; retry its failed chunks first: pixcrawler jobs retry {job_id}")
    if status == "cancelled":
        fail(f"job {job_id} was cancelled; it has no dataset")
    if status != "completed":
        fail(f"job {job_id} is {status}; follow it until it completes: pixcrawler jobs show "
             f"{job_id}")  # fmt: skip


def _result(task_id: str) -> Any:
    from pixcrawler.celery_app import app

    return app.AsyncResult(task_id)


def _outcome(result: Any, job_id: str, what: str) -> Any:
    """The task's return value, waiting for it; its failure is one line, Ctrl-C detaches."""
    try:
        value = result.get(propagate=False, interval=0.2)
    except KeyboardInterrupt:
        out.print(f"detached: {what} of job {job_id} goes on on the workers", highlight=False)
        raise typer.Exit(130) from None
    if result.failed():
        fail(f"{what} of job {job_id} failed on a worker: {value}", 1)
    return value


def _done(job_id: str, summary: str, rows: int) -> None:
    out.print(f"job {job_id}: {summary}", highlight=False, soft_wrap=True)
    console.print(
        f"exports rewritten ({rows} rows); copy the dataset: pixcrawler jobs export {job_id} "
        "--out DIR", highlight=False, soft_wrap=True,
    )  # fmt: skip


@contextmanager
def _broker_errors() -> Iterator[None]:
    from pixcrawler.celery_app import BROKER_ERRORS

    try:
        yield
    except BROKER_ERRORS as exc:
        fail(f"broker unreachable ({exc}); is PIXCRAWLER_BROKER_URL right?", 1)
