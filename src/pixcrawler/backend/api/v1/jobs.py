"""``/jobs``: create from a :class:`JobSpec`, list, get, cancel, retry, resume, revalidate."""

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request

from pixcrawler.backend.api.deps import ContextDep, CurrentUser, SessionDep, Writer
from pixcrawler.backend.api.pagination import Cursor, Limit, decode_cursor, encode_cursor
from pixcrawler.backend.api.problems import ApiError
from pixcrawler.backend.api.schemas import JobAction, JobCreate, JobPublic, Page, Revalidate
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import Job, JobStatus, session_scope
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.distributed.control import JobControlError, cancel, resume, retry
from pixcrawler.backend.services import (
    Principal,
    check_job_limits,
    list_user_jobs,
    owned_dataset,
    owned_job,
    start_job,
)
from pixcrawler.errors import RecordNotFoundError

_T = TypeVar("_T")
router = APIRouter(prefix="/jobs", tags=["jobs"], responses=ERRORS)
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ERRORS[404]["model"], "description": "the job cannot do that now"}
}


@router.post("", response_model=JobPublic, status_code=201)
def create_job(body: JobCreate, caller: Writer, context: ContextDep) -> Job:
    """Start a job from a job spec; a worker plans and runs it."""
    with session_scope(context.sessions) as session:
        if body.dataset_id is not None:
            owned_dataset(session, user_id=caller.user_id, dataset_id=body.dataset_id)
        check_job_limits(session, user_id=caller.user_id, role=caller.role, spec=body.spec,
                         settings=context.settings)  # fmt: skip
    job_id = start_job(context, user_id=caller.user_id, spec=body.spec)
    with session_scope(context.sessions) as session:
        job = owned_job(session, user_id=caller.user_id, job_id=job_id)
        job.dataset_id = body.dataset_id
        note(session, caller, "job.create", f"job {job_id}")
    return job


@router.get("", response_model=Page[JobPublic])
def list_jobs(caller: CurrentUser, session: SessionDep, cursor: Cursor = None, limit: Limit = 50,
              status: Annotated[JobStatus | None, Query()] = None) -> Page[JobPublic]:  # fmt: skip
    """The caller's jobs, newest first."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise ApiError(400, "bad_cursor", "cursor is not one this API returned")
    try:
        rows = list_user_jobs(session, user_id=caller.user_id, after=after, limit=limit,
                              status=status)  # fmt: skip
    except RecordNotFoundError as exc:
        raise ApiError(400, "bad_cursor", "cursor is not one this API returned") from exc
    items = [JobPublic.model_validate(row) for row in rows]
    return Page(items=items, next_cursor=encode_cursor(rows[-1].id) if len(rows) == limit else None)


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: str, caller: CurrentUser, session: SessionDep) -> Job:
    """One job: spec, state and totals."""
    return owned_job(session, user_id=caller.user_id, job_id=job_id)


@router.post("/{job_id}/cancel", response_model=JobAction, responses=_CONFLICT)
def cancel_job(job_id: str, request: Request, caller: Writer, context: ContextDep) -> JobAction:
    """Cancel the job: open chunks are cancelled, their tasks revoked."""
    tasks = _control(context, caller.user_id, job_id, lambda: cancel(
        context, request.app.state.celery, job_id=job_id))  # fmt: skip
    _note(context, caller, "job.cancel", job_id)
    return JobAction(job_id=job_id, action="cancel", tasks=tasks)


@router.post("/{job_id}/retry", response_model=JobAction, responses=_CONFLICT)
def retry_job(job_id: str, request: Request, caller: Writer, context: ContextDep) -> JobAction:
    """Send the job's failed chunks again."""
    tasks = _control(context, caller.user_id, job_id, lambda: retry(
        context, request.app.state.celery, job_id=job_id))  # fmt: skip
    _note(context, caller, "job.retry", job_id)
    return JobAction(job_id=job_id, action="retry", tasks=tasks)


@router.post("/{job_id}/resume", response_model=JobAction, responses=_CONFLICT)
def resume_job(job_id: str, request: Request, caller: Writer, context: ContextDep) -> JobAction:
    """Send again the work no live worker holds (after workers died)."""
    done = _control(context, caller.user_id, job_id, lambda: resume(
        context, request.app.state.celery, job_id=job_id))  # fmt: skip
    _note(context, caller, "job.resume", job_id)
    return JobAction(job_id=job_id, action="resume", tasks=done.dispatched + int(done.planned))


@router.post("/{job_id}/revalidate", response_model=JobAction, status_code=202,
             responses=_CONFLICT)  # fmt: skip
def revalidate_job(job_id: str, body: Revalidate, caller: Writer, context: ContextDep) -> JobAction:
    """Re-check the completed job's kept images at ``level`` (a worker does it)."""
    from pixcrawler.celery_app import send_validation  # sent by name: no task module imported

    with session_scope(context.sessions) as session:
        job = owned_job(session, user_id=caller.user_id, job_id=job_id)
        if job.status != JobStatus.COMPLETED:
            raise ApiError(409, "conflict", f"job {job_id} is {job.status}, not completed")
    send_validation(job_id, body.level.value, run_id=f"{job_id}-validate-{uuid.uuid4().hex[:8]}")
    _note(context, caller, f"job.revalidate.{body.level.value}", job_id)
    return JobAction(job_id=job_id, action=f"revalidate:{body.level.value}", tasks=1)


def _control(context: JobContext, user_id: int, job_id: str, action: Callable[[], _T]) -> _T:
    with session_scope(context.sessions) as session:
        owned_job(session, user_id=user_id, job_id=job_id)
    try:
        return action()
    except JobControlError as exc:
        if "broker unreachable" in str(exc):
            raise ApiError(503, "unavailable", str(exc)) from exc
        raise ApiError(409, "conflict", str(exc)) from exc


def _note(context: JobContext, caller: Principal, action: str, job_id: str) -> None:
    with session_scope(context.sessions) as session:
        note(session, caller, action, f"job {job_id}")
