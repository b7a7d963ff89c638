"""A job's progress: one JSON snapshot, or a Server-Sent Events stream until the job ends."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from pixcrawler.backend.api.deps import ContextDep, CurrentUser
from pixcrawler.backend.api.schemas import ClassProgress, JobProgressPublic, JobPublic
from pixcrawler.backend.api.v1.common import ERRORS
from pixcrawler.backend.db import JobStatus, session_scope
from pixcrawler.backend.db.models import OPEN_JOB_STATUSES
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.services import class_counts, owned_job

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=ERRORS)

#: Seconds between database reads while streaming; a comment line keeps proxies from closing.
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
_SSE_DOC: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {"example": (
    'event: progress\ndata: {"job": {...}, "fraction": 0.5, "classes": [...]}\n\n'
    'event: end\ndata: {"status": "completed"}\n\n')}}}}  # fmt: skip


def snapshot(context: JobContext, user_id: int, job_id: str) -> JobProgressPublic:
    """The job's progress now (404 if it is not the user's)."""
    with session_scope(context.sessions) as session:
        job = JobPublic.model_validate(owned_job(session, user_id=user_id, job_id=job_id))
        classes = [ClassProgress(label=c.label, counts=c.counts)
                   for c in class_counts(session, job_id=job_id)]  # fmt: skip
    settled = job.chunks_done + job.chunks_failed
    fraction = min(1.0, settled / job.chunks_total) if job.chunks_total else 0.0
    if job.status == JobStatus.COMPLETED:
        fraction = 1.0
    return JobProgressPublic(job=job, fraction=fraction, classes=classes)


@router.get("/{job_id}/progress", response_model=JobProgressPublic)
def progress(job_id: str, caller: CurrentUser, context: ContextDep) -> JobProgressPublic:
    """Chunks settled, totals, and per-class counts by status."""
    return snapshot(context, caller.user_id, job_id)


@router.get("/{job_id}/events", response_class=StreamingResponse, responses=_SSE_DOC)
async def events(job_id: str, caller: CurrentUser, context: ContextDep) -> StreamingResponse:
    """Server-Sent Events: a ``progress`` event whenever something changed, then ``end``."""
    first = await run_in_threadpool(snapshot, context, caller.user_id, job_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(context, caller.user_id, job_id, first),
        media_type="text/event-stream", headers=headers,
    )  # fmt: skip


async def _stream(context: JobContext, user_id: int, job_id: str,
                  current: JobProgressPublic) -> AsyncIterator[str]:  # fmt: skip
    sent: str | None = None
    quiet = 0.0
    while True:
        body = current.model_dump_json()
        if body != sent:
            yield f"event: progress\ndata: {body}\n\n"
            sent, quiet = body, 0.0
        if current.job.status not in OPEN_JOB_STATUSES:
            yield f"event: end\ndata: {json.dumps({'status': current.job.status})}\n\n"
            return
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= HEARTBEAT_SECONDS:
            yield ": keep-alive\n\n"
            quiet = 0.0
        current = await run_in_threadpool(snapshot, context, user_id, job_id)
