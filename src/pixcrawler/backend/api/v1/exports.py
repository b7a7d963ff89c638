"""``/jobs/{job_id}/exports``: archives, metadata tables, the report, WebDataset shards.

Archives are packaged by a worker: the first request answers 202 with ``Retry-After`` and
later ones the file (or a redirect to a signed URL on cloud storage).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from pixcrawler.backend.api.delivery import deliver
from pixcrawler.backend.api.deps import ContextDep, CurrentUser
from pixcrawler.backend.api.problems import ApiError, not_found
from pixcrawler.backend.api.schemas import ExportPending, Shards
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import JobStatus, session_scope
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.services import (
    MetadataFormat,
    Principal,
    metadata_key,
    owned_job,
    report_key,
    request_archive,
    webdataset_keys,
)
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)
router = APIRouter(prefix="/jobs/{job_id}/exports", tags=["exports"], responses=ERRORS)

ArchiveFormat = Literal["zip", "7z", "tar.zst"]
#: Seconds a client should wait before asking for an archive being packaged.
PACKAGING_RETRY_AFTER = 2
_FILE = {"description": "the file", "content": {"application/octet-stream": {}}}
_ARCHIVE_DOC: dict[int | str, dict[str, Any]] = {
    200: _FILE, 202: {"model": ExportPending}, 307: {"description": "signed URL"},
    409: {"description": "the job is not completed"},
}  # fmt: skip


@router.get("/archive/{fmt}", response_class=Response, responses=_ARCHIVE_DOC)
def archive(job_id: str, fmt: ArchiveFormat, caller: CurrentUser, context: ContextDep) -> Response:
    """The dataset as one archive with ``SHA256SUMS`` (``zip`` is packaged as the job ends)."""
    _completed(context, caller, job_id)
    key = request_archive(context, job_id=job_id, fmt=fmt)
    tier = "hot" if fmt == "zip" else "cool"
    _log(context, caller, job_id, fmt, tier, ready=key is not None)
    if key is None:
        body = ExportPending(status="packaging", retry_after=PACKAGING_RETRY_AFTER)
        headers = {"Retry-After": str(PACKAGING_RETRY_AFTER)}
        return JSONResponse(body.model_dump(), status_code=202, headers=headers)
    return deliver(context.storage, key, filename=key.rsplit("/", 1)[-1])


@router.get("/metadata", response_class=Response, responses={200: _FILE, 307: {}})
def metadata(job_id: str, caller: CurrentUser, context: ContextDep,
             format: Annotated[MetadataFormat, Query()] = "jsonl") -> Response:  # fmt: skip
    """Every kept image's metadata row as JSON lines, CSV or Parquet."""
    _completed(context, caller, job_id)
    key = metadata_key(context, job_id=job_id, fmt=format)
    _log(context, caller, job_id, f"metadata.{format}", "hot", ready=True)
    return deliver(context.storage, key, filename=f"metadata.{format}")


@router.get("/report", response_class=Response,
            responses={200: {"content": {"text/html": {}}}, 307: {}})  # fmt: skip
def report(job_id: str, caller: CurrentUser, context: ContextDep) -> Response:
    """The self-contained HTML report (charts, per-class contact sheets)."""
    _completed(context, caller, job_id)
    key = report_key(context, job_id=job_id)
    _log(context, caller, job_id, "report", "hot", ready=True)
    return deliver(context.storage, key, filename="report.html", media_type="text/html")


@router.get("/webdataset", response_model=Shards)
def webdataset(job_id: str, caller: CurrentUser, context: ContextDep) -> Shards:
    """The WebDataset shards' names (each downloadable below), written on first request."""
    _completed(context, caller, job_id)
    keys = webdataset_keys(context, job_id=job_id)
    _log(context, caller, job_id, "webdataset", "hot", ready=True)
    return Shards(shards=[key.rsplit("/", 1)[-1] for key in keys])


@router.get("/webdataset/{shard}", response_class=Response, responses={200: _FILE, 307: {}})
def webdataset_shard(job_id: str, caller: CurrentUser, context: ContextDep,
                     shard: Annotated[str, Path(max_length=200)]) -> Response:  # fmt: skip
    """One WebDataset shard (a tar)."""
    _completed(context, caller, job_id)
    names = {key.rsplit("/", 1)[-1]: key for key in webdataset_keys(context, job_id=job_id)}
    if shard not in names:  # only listed names: no path reaches outside the job's shards
        raise not_found("shard")
    return deliver(context.storage, names[shard], filename=shard, media_type="application/x-tar")


def _completed(context: JobContext, caller: Principal, job_id: str) -> None:
    with session_scope(context.sessions) as session:
        status = owned_job(session, user_id=caller.user_id, job_id=job_id).status
    if status != JobStatus.COMPLETED:
        raise ApiError(409, "conflict", f"job {job_id} is {status}; exports exist once completed")


def _log(context: JobContext, caller: Principal, job_id: str, fmt: str, tier: str,
         *, ready: bool) -> None:  # fmt: skip
    logger.bind(operation="export", user_id=caller.user_id, job_id=job_id, export_format=fmt,
                storage_tier=tier, ready=ready).info("export requested")  # fmt: skip
    if ready:
        with session_scope(context.sessions) as session:
            note(session, caller, f"export.{fmt}", f"job {job_id}")
