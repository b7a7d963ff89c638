"""Job counters are incremented atomically in the database, never read-modified-written."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from db_support import NewJob

from pixcrawler.backend.db import RecordNotFoundError, bump_counters, job_progress, session_scope
from pixcrawler.backend.db.session import SessionFactory

INCREMENTS = 500


def test_two_threads_of_increments_lose_none(factory: SessionFactory, new_job: NewJob) -> None:
    job, _ = new_job()

    def increment() -> None:
        for _ in range(INCREMENTS):
            with session_scope(factory) as session:
                bump_counters(session, job_id=job.id, kept=1, candidates=2)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(increment) for _ in range(2)]:
            future.result()

    with session_scope(factory) as session:
        progress = job_progress(session, job_id=job.id)
    assert (progress.kept, progress.candidates) == (2 * INCREMENTS, 4 * INCREMENTS)


def test_a_cached_job_sees_its_new_counts(factory: SessionFactory, new_job: NewJob) -> None:
    job, _ = new_job()
    with session_scope(factory) as session:
        before = job_progress(session, job_id=job.id)
        bump_counters(session, job_id=job.id, duplicates=3, invalid=1, filtered=0)
        after = job_progress(session, job_id=job.id)
    assert (before.duplicates, after.duplicates, after.invalid) == (0, 3, 1)


def test_unknown_counters_and_jobs_are_refused(factory: SessionFactory, new_job: NewJob) -> None:
    job, _ = new_job()
    with session_scope(factory) as session:
        with pytest.raises(ValueError, match="status"):
            bump_counters(session, job_id=job.id, status=1)
        with pytest.raises(RecordNotFoundError):
            bump_counters(session, job_id="missing", kept=1)
