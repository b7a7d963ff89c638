"""The watchdog: finish what lost messages left undone, without anyone typing ``jobs resume``.

A broker restarted without persistence loses the messages it held: queued chunk tasks, a
finalize sent but not yet taken, the plan of a new job. The job database still says what is
open, so every worker's watchdog timer sends ``watch_jobs``, which calls
:func:`recover_stalled_jobs`:

1. A job is *stalled* when it is open and none of its chunks was claimed, settled or re-sent for
   ``PIXCRAWLER_JOB_STALL_SECONDS`` (a job with no chunks: since it was created).
2. Its work is sent again by the same rule as ``jobs resume`` (:func:`.control.redispatch`):
   what no live worker holds (active, reserved or scheduled), under the same task ids.
3. While the ``crawl`` queue holds messages, a stalled job's chunks may simply be waiting behind
   other jobs' chunks, so they are sent again only once the job has been idle for
   ``PIXCRAWLER_STALE_AFTER``. A chunk sent twice is harmless
   (``run_chunk`` is idempotent); the touch on re-sent chunks makes that at most once per stall.
"""

from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from sqlalchemy import func, select

from pixcrawler.backend.db import utcnow
from pixcrawler.backend.db.models import OPEN_JOB_STATUSES, Chunk, Job
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.control import Resumed, redispatch
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

CHUNK_QUEUE = "crawl"


def recover_stalled_jobs(ctx: JobContext, celery: Celery) -> dict[str, Resumed]:
    """Send again the work of every stalled job; returns what was done, by job id."""
    now = utcnow()
    stalled = stalled_jobs(ctx, idle_since=now - timedelta(seconds=ctx.settings.job_stall_seconds))
    if not stalled:
        return {}
    backlog = queue_backlog(celery, CHUNK_QUEUE)
    recovered = {}
    for job_id, last_activity in stalled.items():
        if backlog and last_activity > now - timedelta(seconds=ctx.settings.stale_after):
            continue  # its chunks may be queued behind others: look again later
        resumed = redispatch(ctx, celery, job_id=job_id)
        if resumed.dispatched or resumed.planned or not resumed.held:
            recovered[job_id] = resumed
            _log_recovery(job_id, resumed, last_activity)
    return recovered


def _log_recovery(job_id: str, resumed: Resumed, last_activity: datetime) -> None:
    logger.bind(
        operation="watchdog", job_id=job_id, dispatched=resumed.dispatched, held=resumed.held,
        planned=resumed.planned, idle_since=last_activity.isoformat(),
    ).warning("stalled job sent again")  # fmt: skip


def stalled_jobs(ctx: JobContext, *, idle_since: datetime) -> dict[str, datetime]:
    """Open jobs with no chunk activity since ``idle_since``, with their last activity."""
    activity = func.coalesce(func.max(Chunk.updated_at), Job.created_at)
    statement = (
        select(Job.id, activity)
        .outerjoin(Chunk, Chunk.job_id == Job.id)
        .where(Job.status.in_(OPEN_JOB_STATUSES))
        .group_by(Job.id, Job.created_at)
        .having(activity < idle_since)
    )
    with session_scope(ctx.sessions) as session:
        return {job_id: last for job_id, last in session.execute(statement)}


def queue_backlog(celery: Celery, queue: str) -> int:
    """Messages waiting in ``queue`` (not those a worker has taken); 0 for a queue not there."""
    with celery.connection_for_read() as connection:
        channel: Any = connection.default_channel
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except connection.channel_errors:
            return 0  # Redis drops an empty list: no such queue means nothing waits
