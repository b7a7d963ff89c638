"""Jobs: creation (logged), progress, listing, cancellation and completion."""

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from db_support import NewJob
from sqlalchemy import select

from pixcrawler.backend.db import (
    Chunk,
    JobStatus,
    RecordNotFoundError,
    User,
    cancel_job,
    claim_chunk,
    complete_job_if_done,
    create_job,
    fail_job,
    finish_chunk,
    get_job,
    job_progress,
    job_spec,
    list_jobs,
    session_scope,
)
from pixcrawler.backend.db.session import SessionFactory
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.validator.levels import ValidationLevel


@pytest.fixture
def user_id(factory: SessionFactory) -> int:
    with session_scope(factory) as session:
        user = User(email=f"{secrets.token_hex(4)}@example.org", name="Ada")
        session.add(user)
        session.flush()
        return user.id


def test_create_job_is_pending_and_logged_with_its_context(
    factory: SessionFactory, user_id: int, log_records: list[dict[str, Any]]
) -> None:
    spec = JobSpec(kind=JobKind.KEYWORDS, keywords=("cat", "dog"), engines=("bing",), per_class=50)
    with session_scope(factory) as session:
        job = create_job(session, user_id=user_id, spec=spec)

    progress = job_progress_of(factory, job.id)
    assert (progress.status, progress.kind, progress.chunks_total, progress.kept) == (
        "pending", "keywords", 0, 0
    )  # fmt: skip
    assert len(job.id) == 36 and job.created_at.tzinfo is not None
    logged = [r["extra"] for r in log_records if r["extra"].get("operation") == "job_creation"]
    assert logged == [logged[0]]
    assert (logged[0]["user_id"], logged[0]["job_id"]) == (user_id, job.id)


def test_a_spec_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        JobSpec.model_validate({"kind": "folder"})


def test_the_spec_round_trips_as_json(factory: SessionFactory) -> None:
    spec = JobSpec(
        kind=JobKind.KEYWORDS, keywords=("café",), engines=("openverse",), licenses=("cc0",),
        validation_level=ValidationLevel.MEDIUM, label_formats=("csv",), per_class=7,
    )  # fmt: skip
    with session_scope(factory) as session:
        job_id = create_job(session, user_id=None, spec=spec).id
    with session_scope(factory) as session:
        assert get_job(session, job_id=job_id).spec == spec.to_json()
        assert job_spec(session, job_id=job_id) == spec


def test_list_jobs_filters_by_user_newest_first(factory: SessionFactory, user_id: int) -> None:
    with session_scope(factory) as session:
        first = create_job(
            session,
            user_id=user_id,
            spec=JobSpec(kind=JobKind.KEYWORDS, keywords=("cat",), engines=("bing",)),
        ).id
        second = create_job(session, user_id=user_id, spec=JobSpec(kind=JobKind.URL_LIST)).id
        create_job(
            session,
            user_id=None,
            spec=JobSpec(kind=JobKind.KEYWORDS, keywords=("cat",), engines=("bing",)),
        )

    with session_scope(factory) as session:
        assert [job.id for job in list_jobs(session, user_id=user_id)] == [second, first]
        assert [job.id for job in list_jobs(session, user_id=user_id, limit=1)] == [second]


def test_cancel_returns_task_ids_and_claims_are_refused_after(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, chunks = new_job(3)
    with session_scope(factory) as session:
        claim_chunk(session, chunk_id=chunks[0].id, task_id="task-0")
        claim_chunk(session, chunk_id=chunks[1].id, task_id="task-1")
        finish_chunk(session, chunk_id=chunks[1].id)

    with session_scope(factory) as session:
        assert cancel_job(session, job_id=job.id) == ["task-0"]
    with session_scope(factory) as session:
        assert claim_chunk(session, chunk_id=chunks[2].id, task_id="task-2") is None
        assert claim_chunk(session, chunk_id=chunks[0].id, task_id="task-0") is None
        statuses = session.scalars(select(Chunk.status).where(Chunk.job_id == job.id)).all()
        assert sorted(statuses) == ["cancelled", "cancelled", "done"]
        assert job_progress(session, job_id=job.id).status == JobStatus.CANCELLED
        assert cancel_job(session, job_id=job.id) == []


def test_a_job_completes_only_when_no_chunk_is_open(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, chunks = new_job(2)
    with session_scope(factory) as session:
        for chunk in chunks:
            claim_chunk(session, chunk_id=chunk.id, task_id=f"t{chunk.index}")
        finish_chunk(session, chunk_id=chunks[0].id)
        assert not complete_job_if_done(session, job_id=job.id)
        finish_chunk(session, chunk_id=chunks[1].id)
        assert complete_job_if_done(session, job_id=job.id)
        assert not complete_job_if_done(session, job_id=job.id)

    progress = job_progress_of(factory, job.id)
    assert (progress.status, progress.chunks_done, progress.fraction) == ("completed", 2, 1.0)
    assert progress.started_at is not None and progress.finished_at is not None


def test_a_job_with_a_failed_chunk_ends_failed(factory: SessionFactory, new_job: NewJob) -> None:
    job, chunks = new_job(2)
    with session_scope(factory) as session:
        for chunk in chunks:
            claim_chunk(session, chunk_id=chunk.id, task_id=f"t{chunk.index}")
        finish_chunk(session, chunk_id=chunks[0].id)
        finish_chunk(session, chunk_id=chunks[1].id, error="engine refused")
        assert complete_job_if_done(session, job_id=job.id)

    progress = job_progress_of(factory, job.id)
    assert (progress.status, progress.chunks_done, progress.chunks_failed) == ("failed", 1, 1)
    assert progress.error


def test_unknown_job_ids_raise_record_not_found(factory: SessionFactory) -> None:
    with session_scope(factory) as session:
        for call in (job_progress, cancel_job, complete_job_if_done):
            with pytest.raises(RecordNotFoundError):
                call(session, job_id="no-such-job")


def job_progress_of(factory: SessionFactory, job_id: str) -> Any:
    with session_scope(factory) as session:
        return job_progress(session, job_id=job_id)


def test_exactly_one_of_the_last_finishers_completes_the_job(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, chunks = new_job(8)
    barrier = threading.Barrier(len(chunks))

    def run(chunk_id: int) -> bool:
        with session_scope(factory) as session:
            claim_chunk(session, chunk_id=chunk_id, task_id=f"t{chunk_id}")
        barrier.wait()
        with session_scope(factory) as session:
            finish_chunk(session, chunk_id=chunk_id)
            return complete_job_if_done(session, job_id=job.id)

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        finished = list(pool.map(run, [chunk.id for chunk in chunks]))

    assert finished.count(True) == 1
    assert job_progress_of(factory, job.id).status == JobStatus.COMPLETED


def test_fail_job_marks_an_open_job_failed_once(factory: SessionFactory, new_job: NewJob) -> None:
    job, _ = new_job(1)
    with session_scope(factory) as session:
        assert fail_job(session, job_id=job.id, error="planning failed: no engine answered")
        assert not fail_job(session, job_id=job.id, error="again")
        progress = job_progress(session, job_id=job.id)
    assert (progress.status, progress.error) == ("failed", "planning failed: no engine answered")
    assert progress.finished_at is not None
