"""What the ``jobs`` commands share: the job context, a job named by any unique id prefix, and
one-line errors for an unreachable job database.

Imported only inside commands: the job database needs the ``distributed`` extra.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from pixcrawler.backend.db import find_job_ids, get_job, session_scope
from pixcrawler.backend.distributed import JobContext, job_context
from pixcrawler.cli._common import console, fail
from pixcrawler.errors import PixCrawlerError

#: Matches listed for an ambiguous prefix; more are counted, not shown.
MATCHES_SHOWN = 10


@contextmanager
def database_errors() -> Iterator[None]:
    """The job database failing (down, refused) is one ``error:`` line, exit 1."""
    try:
        yield
    except PixCrawlerError as exc:
        fail(f"job database unavailable: {exc.reason}", 1)


def open_context() -> JobContext:
    """The job context (settings, job database, storage), with database errors as one line."""
    with database_errors():
        return job_context()


def resolve_job(prefix: str) -> str:
    """The whole id of the one job ``prefix`` names (git-style); fails on none or several."""
    wanted = prefix.strip().lower()
    if not wanted:
        fail("give a job id (or any unique prefix of one)")
    with database_errors(), session_scope(open_context().sessions) as session:
        ids = find_job_ids(session, prefix=wanted, limit=MATCHES_SHOWN + 1)
    if not ids:
        fail(f"no job {prefix} (pixcrawler jobs lists them)")
    if len(ids) > 1:
        _list_matches(prefix, ids)
    return ids[0]


def _list_matches(prefix: str, ids: list[str]) -> NoReturn:
    shown = ids[:MATCHES_SHOWN]
    count = f"{len(shown)}{'+' if len(ids) > len(shown) else ''}"
    console.print(
        f"[red]error:[/red] job id {prefix} is ambiguous ({count} jobs match); give more of it:",
        highlight=False,
    )
    with session_scope(open_context().sessions) as session:
        for job_id in shown:
            job = get_job(session, job_id=job_id)
            line = f"  {job.id}  {job.kind}  {job.status}  {job.created_at:%Y-%m-%d %H:%M}"
            console.print(line, highlight=False, soft_wrap=True)
    raise typer.Exit(2)
