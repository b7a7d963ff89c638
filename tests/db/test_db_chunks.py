"""Chunks: idempotent planning, claim and finish, retries and resumption after dead workers."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from db_support import NewJob
from sqlalchemy import update

from pixcrawler.backend.db import (
    Chunk,
    RecordNotFoundError,
    add_chunks,
    claim_chunk,
    finish_chunk,
    job_progress,
    resumable_chunks,
    retry_failed_chunks,
    session_scope,
)
from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db.session import SessionFactory


def backdate(factory: SessionFactory, chunk_id: int, age: timedelta) -> None:
    with session_scope(factory) as session:
        statement = update(Chunk).where(Chunk.id == chunk_id).values(updated_at=utcnow() - age)
        session.execute(statement)


def test_add_chunks_is_idempotent_by_job_and_index(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, first = new_job(3)
    plan = [("discover", {"label": "other"})] * 3
    with session_scope(factory) as session:
        again = add_chunks(session, job_id=job.id, chunks=plan)
        assert [c.id for c in again] == [c.id for c in first]
        assert again[0].payload == {"label": "cat", "page": 0}
        more = add_chunks(session, job_id=job.id, chunks=[("download", {"shard": 0})], start=3)
        assert [(c.index, c.kind) for c in more] == [(3, "download")]
        assert job_progress(session, job_id=job.id).chunks_total == 4


def test_add_chunks_to_an_unknown_job_raises(factory: SessionFactory) -> None:
    with pytest.raises(RecordNotFoundError), session_scope(factory) as session:
        add_chunks(session, job_id="missing", chunks=[("discover", {})])


def test_claim_then_finish_counts_the_attempt_and_the_chunk(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, (chunk,) = new_job(1)
    with session_scope(factory) as session:
        claimed = claim_chunk(session, chunk_id=chunk.id, task_id="task-a")
        assert claimed is not None
        assert (claimed.status, claimed.attempts, claimed.task_id) == ("running", 1, "task-a")
        assert job_progress(session, job_id=job.id).status == "running"

    with session_scope(factory) as session:
        assert finish_chunk(session, chunk_id=chunk.id)
        assert not finish_chunk(session, chunk_id=chunk.id)  # a second delivery counts nothing
        assert claim_chunk(session, chunk_id=chunk.id, task_id="task-b") is None
        progress = job_progress(session, job_id=job.id)
        assert (progress.chunks_done, progress.chunks_failed) == (1, 0)


def test_a_running_chunk_is_refused_to_another_live_task(
    factory: SessionFactory, new_job: NewJob
) -> None:
    _, (chunk,) = new_job(1)
    with session_scope(factory) as session:
        claim_chunk(session, chunk_id=chunk.id, task_id="task-a")
        assert claim_chunk(session, chunk_id=chunk.id, task_id="task-b") is None
        redelivered = claim_chunk(session, chunk_id=chunk.id, task_id="task-a")
        assert redelivered is not None and redelivered.attempts == 2


def test_a_stale_running_chunk_is_resumable_and_can_be_taken_over(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, chunks = new_job(3)
    with session_scope(factory) as session:
        for chunk in chunks[:2]:
            claim_chunk(session, chunk_id=chunk.id, task_id=f"dead-{chunk.index}")
    backdate(factory, chunks[0].id, timedelta(hours=1))

    with session_scope(factory) as session:
        resumable = resumable_chunks(session, job_id=job.id)
        assert [c.index for c in resumable] == [0, 2]  # chunk 1 is running and fresh
        taken = claim_chunk(session, chunk_id=chunks[0].id, task_id="rescuer")
        assert taken is not None and (taken.task_id, taken.attempts) == ("rescuer", 2)
        short = resumable_chunks(session, job_id=job.id, stale_after=timedelta(0))
        assert [c.index for c in short] == [0, 1, 2]


def test_retry_failed_chunks_reopens_them_and_the_job(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, chunks = new_job(2)
    with session_scope(factory) as session:
        for chunk in chunks:
            claim_chunk(session, chunk_id=chunk.id, task_id=f"t{chunk.index}")
        finish_chunk(session, chunk_id=chunks[0].id)
        finish_chunk(session, chunk_id=chunks[1].id, error="http 503")
        assert job_progress(session, job_id=job.id).chunks_failed == 1

    with session_scope(factory) as session:
        retried = retry_failed_chunks(session, job_id=job.id)
        assert [(c.index, c.status, c.error) for c in retried] == [(1, "pending", None)]
        assert retry_failed_chunks(session, job_id=job.id) == []
        assert job_progress(session, job_id=job.id).chunks_failed == 0
        again = claim_chunk(session, chunk_id=chunks[1].id, task_id="t1-retry")
        assert again is not None and again.attempts == 1  # counted afresh from the retry


def test_claiming_a_failed_chunk_directly_uncounts_the_failure(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, (chunk,) = new_job(1)
    with session_scope(factory) as session:
        claim_chunk(session, chunk_id=chunk.id, task_id="t")
        finish_chunk(session, chunk_id=chunk.id, error="boom")
        assert claim_chunk(session, chunk_id=chunk.id, task_id="t-retry") is not None
        finish_chunk(session, chunk_id=chunk.id)
        progress = job_progress(session, job_id=job.id)
        assert (progress.chunks_done, progress.chunks_failed) == (1, 0)


def test_unknown_chunk_ids_raise_record_not_found(factory: SessionFactory) -> None:
    with session_scope(factory) as session:
        with pytest.raises(RecordNotFoundError):
            claim_chunk(session, chunk_id=10**9, task_id="t")
        with pytest.raises(RecordNotFoundError):
            finish_chunk(session, chunk_id=10**9)


def test_of_two_concurrent_claims_exactly_one_wins(
    factory: SessionFactory, new_job: NewJob
) -> None:
    _, chunks = new_job(20)
    barrier = threading.Barrier(2)

    def claim_all(task: str) -> list[int]:
        barrier.wait()
        won = []
        for chunk in chunks:
            with session_scope(factory) as session:
                if claim_chunk(session, chunk_id=chunk.id, task_id=task) is not None:
                    won.append(chunk.index)
        return won

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(claim_all, ["task-a", "task-b"])

    assert sorted(first + second) == list(range(20))
