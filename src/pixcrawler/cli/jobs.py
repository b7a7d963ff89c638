"""Distributed jobs on the command line: `worker`, `jobs` (list, show, export, cancel, retry,
resume), `build --distributed`.

The job database, Celery and storage are imported inside the commands that use them, so a
local `pixcrawler build` does not pay for loading them, and a core install (without the
``distributed`` extra) runs every other command. A job is named by its id or any unique prefix.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pixcrawler.cli._common import app, console, fail, out
from pixcrawler.errors import PixCrawlerError

if TYPE_CHECKING:
    from pixcrawler.builder.jobspec import JobSpec

jobs_app = typer.Typer(
    help="List, follow, export, check, cancel, retry and resume distributed jobs (an id or any "
    "unique prefix of one names a job).",
    invoke_without_command=True,
)
app.add_typer(jobs_app, name="jobs")
_FINISHED = {"completed", "failed", "cancelled"}
#: Seconds between progress reads: one primary-key SELECT, and the end is seen within 0.1 s.
POLL_SECONDS = 0.1


@app.command()
def worker(
    queues: Annotated[
        str, typer.Option(help="Queues to consume.")
    ] = "crawl,validation,packaging,maintenance",
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """Start a Celery worker for distributed jobs (broker from PIXCRAWLER_BROKER_URL)."""
    from pixcrawler.backend.db.migrate import ensure_current
    from pixcrawler.celery_app import app as celery_app
    from pixcrawler.config import get_settings

    ensure_current(get_settings().resolved_database_url())  # a bad database: one line, now

    celery_app.worker_main(
        ["worker", "-Q", queues, "--concurrency", str(concurrency), "--without-heartbeat",
         "--without-mingle", "--without-gossip"]
    )  # fmt: skip


@jobs_app.callback()
def jobs(
    ctx: typer.Context, limit: Annotated[int, typer.Option(help="Most jobs shown.")] = 20
) -> None:
    """List recent jobs with their progress."""
    if ctx.invoked_subcommand is not None:
        return
    from pixcrawler.backend.db.jobs import list_jobs
    from pixcrawler.backend.db.session import session_scope
    from pixcrawler.cli._job_lookup import database_errors, open_context

    context = open_context()
    table = Table(title="Jobs", title_justify="left")
    for name in ("id", "kind", "status", "chunks", "kept", "created"):
        table.add_column(name)
    with database_errors(), session_scope(context.sessions) as session:
        for job in list_jobs(session, limit=limit):
            chunks = f"{job.chunks_done + job.chunks_failed}/{job.chunks_total}"
            # Short ids, as git shows commits: any unique prefix names a job.
            table.add_row(job.id[:8], job.kind, job.status, chunks, str(job.kept),
                          f"{job.created_at:%Y-%m-%d %H:%M}")  # fmt: skip
    out.print(table)


@jobs_app.command("show")
def show(
    job_id: str, follow: Annotated[bool, typer.Option(help="Follow until it ends.")] = True
) -> None:
    """Show one job's progress, following it until it finishes (Ctrl-C detaches)."""
    from pixcrawler.cli._job_lookup import resolve_job

    job_id = resolve_job(job_id)
    status = follow_job(job_id) if follow else _snapshot(job_id)["status"]
    out.print(f"job {job_id}: {status}")


@jobs_app.command("cancel")
def cancel(job_id: str) -> None:
    """Cancel a job: its open chunks are cancelled and their tasks revoked."""
    from pixcrawler.backend.distributed import control, job_context
    from pixcrawler.celery_app import app as celery_app
    from pixcrawler.cli._job_lookup import resolve_job

    job_id = resolve_job(job_id)
    with _control_errors():
        revoked = control.cancel(job_context(), celery_app, job_id=job_id)
    _say(f"job {job_id}: cancelled ({revoked} chunk tasks revoked)")


@jobs_app.command("retry")
def retry(job_id: str) -> None:
    """Send a job's failed chunks again, then finalize it."""
    from pixcrawler.backend.distributed import control, job_context
    from pixcrawler.celery_app import app as celery_app
    from pixcrawler.cli._job_lookup import resolve_job

    job_id = resolve_job(job_id)
    with _control_errors():
        sent = control.retry(job_context(), celery_app, job_id=job_id)
    _say(f"job {job_id}: {sent} failed chunks sent again")


@jobs_app.command("resume")
def resume(job_id: str) -> None:
    """Resume a job after its workers died: send again every chunk no live worker holds."""
    from pixcrawler.backend.distributed import control, job_context
    from pixcrawler.celery_app import app as celery_app
    from pixcrawler.cli._job_lookup import resolve_job

    job_id = resolve_job(job_id)
    with _control_errors():
        done = control.resume(job_context(), celery_app, job_id=job_id)
    if done.planned:
        message = "planned again"
    else:
        message = f"{done.dispatched} chunks sent again, {done.held} held by live workers"
    _say(f"job {job_id}: {message}")


def _say(line: str) -> None:
    out.print(line, highlight=False, soft_wrap=True)  # one line, however narrow the terminal


@contextmanager
def _control_errors() -> Iterator[None]:
    from pixcrawler.backend.distributed.control import JobControlError

    try:
        yield
    except JobControlError as exc:
        fail(str(exc))
    except PixCrawlerError as exc:
        fail(f"job database unavailable: {exc.reason}", 1)


def follow_job(
    job_id: str,
    poll: float = POLL_SECONDS,
    on_progress: Callable[[], object] | None = None,
    out_dir: Path | None = None,
) -> str:
    """Draw the job's progress from the database until it finishes; returns its final status.

    ``on_progress`` is called whenever more chunks have settled (and once more at the end);
    ``out_dir`` is named in the hint printed when Ctrl-C detaches.
    """
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("kept {task.fields[kept]}"), TimeElapsedColumn(), console=console,
    )  # fmt: skip
    task = bar.add_task(f"job {job_id[:8]}", total=None, kept=0)
    settled = 0
    try:
        with bar:
            while True:
                snap = _snapshot(job_id)
                bar.update(
                    task, completed=snap["done"], total=snap["total"] or None, kept=snap["kept"]
                )
                if snap["status"] in _FINISHED:
                    return str(snap["status"])
                if on_progress is not None and snap["done"] > settled:
                    settled = snap["done"]
                    on_progress()
                time.sleep(poll)
    except KeyboardInterrupt:
        detach(job_id, out_dir)


def detach(job_id: str, out_dir: Path | None = None) -> NoReturn:
    """Ctrl-C while following: not an error, the job goes on. One line saying how to follow and
    export it; exit 130, as for any interrupt, so a script's ``build && train`` stops here (the
    dataset is not in ``--out`` yet)."""
    dest = out_dir if out_dir is not None else "DIR"
    console.print(
        f"detached: job {job_id} goes on on the workers; follow it: pixcrawler jobs show "
        f"{job_id}; once it completes: pixcrawler jobs export {job_id} --out {dest}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    raise typer.Exit(130)


def _snapshot(job_id: str) -> dict[str, Any]:
    from pixcrawler.backend.db.jobs import job_progress
    from pixcrawler.backend.db.session import session_scope
    from pixcrawler.backend.distributed import job_context
    from pixcrawler.errors import RecordNotFoundError

    try:
        with session_scope(job_context().sessions) as session:
            p = job_progress(session, job_id=job_id)
    except RecordNotFoundError:
        fail(f"no job {job_id}")
    except PixCrawlerError as exc:
        fail(f"job database unavailable: {exc.reason}")
    return {"status": p.status, "done": p.chunks_done + p.chunks_failed, "total": p.chunks_total,
            "kept": p.kept}  # fmt: skip


def run_distributed(spec: "JobSpec", sources: list[Path], out_dir: Path) -> None:
    """Submit a job, follow it, and copy the finished dataset to ``out_dir``.

    The kept images are copied while the job runs (``DatasetExport.prefetch``), so once it
    completes only the last of them and the exports are left to copy.
    """
    from pixcrawler.backend.distributed import DatasetExport, job_context, submit_job
    from pixcrawler.celery_app import send_plan

    context = job_context()
    if context.settings.allow_private_network:
        # The workers decide (a security boundary): the client's setting is not sent with the job.
        console.print(
            "note: PIXCRAWLER_ALLOW_PRIVATE_NETWORK is set here, but only the workers' own "
            "setting counts: set it where `pixcrawler worker` runs",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    job_id = submit_job(context, spec, sources)
    send_plan(job_id)
    export = DatasetExport(context, job_id=job_id, dest=out_dir)
    try:
        console.print(f"job {job_id} submitted; a worker runs it (pixcrawler worker)",
                      highlight=False, soft_wrap=True)  # fmt: skip
        status = follow_job(job_id, on_progress=export.prefetch, out_dir=out_dir)
        if status != "completed":
            fail(f"job {job_id} {status}: pixcrawler jobs show {job_id}", 1)
        files = export.finish()
    except KeyboardInterrupt:  # before the progress display took over
        detach(job_id, out_dir)
    finally:
        export.discard()
    out.print(f"dataset: {out_dir}  ({files} files from job {job_id})", highlight=False)
