"""``/uploads``: a URL list (txt, csv, jsonl, parquet) streamed to storage, size-capped, for a
``url_list`` job's ``source_keys``."""

import re
import tempfile
import uuid
from pathlib import Path

from fastapi import APIRouter, UploadFile

from pixcrawler.backend.api.deps import ContextDep, Writer
from pixcrawler.backend.api.problems import ApiError
from pixcrawler.backend.api.schemas import UploadPublic
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import session_scope
from pixcrawler.backend.services import uploads_prefix

router = APIRouter(prefix="/uploads", tags=["uploads"], responses=ERRORS)

SUFFIXES = (".txt", ".csv", ".jsonl", ".parquet")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_COPY_CHUNK = 1024 * 1024


@router.post("", response_model=UploadPublic, status_code=201,
             responses={413: ERRORS[422], 415: ERRORS[422]})  # fmt: skip
def upload(file: UploadFile, caller: Writer, context: ContextDep) -> UploadPublic:
    """Store a URL list; its key goes into a job spec's ``source_keys``."""
    name = _safe_name(file.filename or "")
    cap = context.settings.upload_max_bytes
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        size = _copy_capped(file, path, cap)
        key = f"{uploads_prefix(caller.user_id)}{uuid.uuid4().hex}-{name}"
        context.storage.put(key, path)
    with session_scope(context.sessions) as session:
        note(session, caller, "upload.create", key)
    return UploadPublic(key=key, bytes=size)


def _safe_name(filename: str) -> str:
    """The upload's base name with only safe characters: no folder, no ``..``, no control."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _SAFE_NAME.sub("_", base).lstrip(".")
    if not name.lower().endswith(SUFFIXES):
        raise ApiError(415, "unsupported_media_type",
                       f"a URL list must end in one of {', '.join(SUFFIXES)}")  # fmt: skip
    return name[-120:]


def _copy_capped(file: UploadFile, path: Path, cap: int) -> int:
    size = 0
    with path.open("wb") as sink:
        while chunk := file.file.read(_COPY_CHUNK):
            size += len(chunk)
            if size > cap:
                raise ApiError(413, "payload_too_large", f"a URL list may hold {cap} bytes")
            sink.write(chunk)
    return size
