"""Task-level retries: infrastructure only, max 3, logged; network and permanent errors never."""

import io
import json
from typing import Any

import pytest
from loguru import logger

from pixcrawler.backend.db.chunks import add_chunks
from pixcrawler.backend.db.jobs import create_job, get_job
from pixcrawler.backend.db.models import Chunk
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder import tasks
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.errors import (
    DatabaseConnectionError,
    NetworkError,
    NotFoundError,
    PermanentError,
    RecordNotFoundError,
)
from pixcrawler.utility.logging_config import configure_logging


@pytest.fixture
def chunk(job_ctx: JobContext) -> tuple[str, int]:
    with session_scope(job_ctx.sessions) as session:
        job = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST))
        (row,) = add_chunks(session, job_id=job.id, chunks=[("download", {"candidates": []})])
        return job.id, row.id


@pytest.fixture
def logs() -> Any:
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", sink=stream)
    yield lambda: [json.loads(line)["record"] for line in stream.getvalue().splitlines()]
    logger.remove()


def _failing(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> list[int]:
    calls: list[int] = []

    def run_chunk(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        raise error

    monkeypatch.setattr(tasks, "run_chunk", run_chunk)
    return calls


@pytest.mark.parametrize(
    "error", [DatabaseConnectionError("db down"), MemoryError("out of memory")]
)
def test_infrastructure_failures_retry_three_times_then_fail(
    job_ctx: JobContext, chunk: tuple[str, int], monkeypatch: pytest.MonkeyPatch,
    logs: Any, error: BaseException,
) -> None:  # fmt: skip
    calls = _failing(monkeypatch, error)
    job_id, chunk_id = chunk
    result = tasks.download_chunk.apply(kwargs={"job_id": job_id, "chunk_id": chunk_id})
    assert result.failed()
    assert isinstance(result.result, type(error))
    assert len(calls) == 4  # the first run and 3 retries
    retries = [r for r in logs() if r["message"] == "infrastructure failure; retrying the task"]
    assert [r["extra"]["retry_count"] for r in retries] == [1, 2, 3]
    spent = [r for r in logs() if r["message"] == "infrastructure failure; retries spent"]
    assert [r["extra"]["retry_count"] for r in spent] == [3]
    first = retries[0]["extra"]
    assert first["error_type"] == type(error).__name__
    assert first["resource_id"] == chunk_id
    assert first["job_id"] == job_id and first["chunk_id"] == chunk_id
    assert first["task"] == "pixcrawler.builder.tasks.download_chunk"


def test_retry_uses_countdown_and_max_retries(
    job_ctx: JobContext, chunk: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing(monkeypatch, DatabaseConnectionError("db down"))
    seen: dict[str, Any] = {}
    original = tasks.download_chunk.retry

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(tasks.download_chunk, "retry", spy)
    job_id, chunk_id = chunk
    tasks.download_chunk.apply(kwargs={"job_id": job_id, "chunk_id": chunk_id})
    assert seen["max_retries"] == 3
    assert seen["countdown"] == 0  # PIXCRAWLER_TASK_RETRY_COUNTDOWN=0 here; 60 by default
    assert isinstance(seen["exc"], DatabaseConnectionError)


@pytest.mark.parametrize("error", [NotFoundError("http 404"), NetworkError("network error")])
def test_permanent_and_network_errors_fail_at_once_and_are_recorded(
    job_ctx: JobContext, chunk: tuple[str, int], monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:  # fmt: skip
    calls = _failing(monkeypatch, error)
    job_id, chunk_id = chunk
    with session_scope(job_ctx.sessions) as session:  # the chunk is running, as in a worker
        session.get(Chunk, chunk_id).status = "running"  # type: ignore[union-attr]
    result = tasks.download_chunk.apply(kwargs={"job_id": job_id, "chunk_id": chunk_id})
    assert result.failed()
    assert len(calls) == 1  # no task retry: Tenacity already spent the network attempts
    with session_scope(job_ctx.sessions) as session:
        row = session.get(Chunk, chunk_id)
        assert row is not None and row.status == "failed"
        assert row.error == error.reason  # type: ignore[attr-defined]
        assert get_job(session, job_id=job_id).chunks_failed == 1


def test_default_countdown_is_sixty_seconds() -> None:
    from pixcrawler.config import Settings

    assert Settings().task_retry_countdown == 60


def test_a_message_for_an_unknown_job_fails_once_without_a_second_error(
    job_ctx: JobContext, logs: Any
) -> None:
    # A message that outlived its database (a stale queue): a permanent error, logged once;
    # recording it on a job that does not exist is a warning, not a new exception.
    result = tasks.finalize_job.apply(kwargs={"job_id": "no-such-job"})
    assert result.failed()
    assert isinstance(result.result, RecordNotFoundError)
    records = logs()
    failed = [r for r in records if r["message"] == "task failed; not retried"]
    assert [r["extra"]["error_type"] for r in failed] == ["RecordNotFoundError"]
    unrecorded = [r for r in records if r["message"] == "task failure not recorded"]
    assert [r["level"]["name"] for r in unrecorded] == ["WARNING"]
    assert tasks.finalize_job.throws == (PermanentError,)  # Celery logs it without a traceback
