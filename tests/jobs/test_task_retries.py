"""Task-level retries: infrastructure only, max 3, logged; network and permanent errors never."""

import io
import json
from typing import Any

import pytest
from loguru import logger
from sqlalchemy import select

from pixcrawler.backend.db.chunks import add_chunks
from pixcrawler.backend.db.jobs import create_job, get_job
from pixcrawler.backend.db.models import Chunk, Image
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import chunks as distributed_chunks
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed._results import results_key
from pixcrawler.builder import tasks
from pixcrawler.builder._downloader import Downloader
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.errors import (
    DatabaseConnectionError,
    NetworkError,
    NotFoundError,
    PermanentError,
    RecordNotFoundError,
)
from pixcrawler.records import Download
from pixcrawler.utility.logging_config import configure_logging
from support.images import ImageSet
from support.server import FixtureServer


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


def test_out_of_memory_in_a_download_reaches_the_task_which_retries_it(
    job_ctx: JobContext, monkeypatch: pytest.MonkeyPatch, server: FixtureServer,
    images: ImageSet, logs: Any,
) -> None:  # fmt: skip
    """The real chunk run: MemoryError is neither a row nor permanent; the task retries 3 times."""
    url = server.add(server.unique_path("a.jpg"), images.jpegs[0])
    with session_scope(job_ctx.sessions) as session:
        job = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST))
        payload = {"candidates": [{"url": url, "label": "a"}]}
        (row,) = add_chunks(session, job_id=job.id, chunks=[("download", payload)])
    tried: list[str] = []

    async def exhausted(self: Downloader, fetched: str) -> Download:
        tried.append(fetched)
        raise MemoryError("simulated")

    monkeypatch.setattr(Downloader, "fetch", exhausted)
    finalized: list[str] = []
    monkeypatch.setattr(tasks, "send_finalize", finalized.append)  # no broker in this test
    result = tasks.download_chunk.apply(kwargs={"job_id": job.id, "chunk_id": row.id})

    assert result.failed() and isinstance(result.result, MemoryError)
    assert tried == [url] * 4  # the first run and 3 task retries, never turned into a row
    retried = [r for r in logs() if r["message"] == "infrastructure failure; retrying the task"]
    assert [r["extra"]["retry_count"] for r in retried] == [1, 2, 3]
    with session_scope(job_ctx.sessions) as session:
        chunk = session.get(Chunk, row.id)
        assert chunk is not None and chunk.status == "failed"
        assert session.scalars(select(Image).where(Image.job_id == job.id)).all() == []
    assert finalized == [job.id]  # the failed chunk was the job's last: the job goes on


def test_a_database_failure_at_settle_time_repeats_no_download(
    job_ctx: JobContext, monkeypatch: pytest.MonkeyPatch, server: FixtureServer,
    images: ImageSet,
) -> None:  # fmt: skip
    """The task retries; the retry records the rows the first run built (kept in storage)."""
    ok = server.add(server.unique_path("ok.jpg"), images.jpegs[0])
    busy = server.add(server.unique_path("busy.jpg"), b"", status=503)
    with session_scope(job_ctx.sessions) as session:
        job = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST))
        candidates = [{"url": ok, "label": "a"}, {"url": busy, "label": "a"}]
        (row,) = add_chunks(
            session, job_id=job.id, chunks=[("download", {"candidates": candidates})]
        )
    real_settle = distributed_chunks.settle_chunk
    outages = [DatabaseConnectionError("connection refused (settle)")]

    def settle_once_down(*args: Any, **kwargs: Any) -> Any:
        if outages and "error" not in kwargs:
            raise outages.pop()
        return real_settle(*args, **kwargs)

    monkeypatch.setattr(distributed_chunks, "settle_chunk", settle_once_down)
    monkeypatch.setattr(tasks, "send_finalize", lambda job_id: None)
    result = tasks.download_chunk.apply(kwargs={"job_id": job.id, "chunk_id": row.id})

    assert result.successful() and not outages  # failed once at settle time, then retried
    assert (server.count(ok), server.count(busy)) == (1, 3)  # not (2, 6): nothing fetched again
    with session_scope(job_ctx.sessions) as session:
        chunk = session.get(Chunk, row.id)
        assert chunk is not None and chunk.status == "done"
        recorded = session.scalars(select(Image.status).where(Image.job_id == job.id)).all()
    assert sorted(recorded) == ["download_failed", "kept"]
    assert not job_ctx.storage.exists(results_key(job.id, row.id))  # recorded, then forgotten
