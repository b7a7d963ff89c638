"""The deliveries cap: a chunk whose worker dies under it 3 times is failed, not run forever."""

from db_support import NewJob

from pixcrawler.backend.db import claim_chunk, finish_chunk, retry_failed_chunks, session_scope
from pixcrawler.backend.db.chunks import MAX_DELIVERIES, WORKER_LOST, worker_lost_too_often
from pixcrawler.backend.db.session import SessionFactory


def _deliver(factory: SessionFactory, chunk_id: int, retries: int = 0) -> bool:
    """One delivery of the chunk's task: True if it may run, False if it is one too many."""
    with session_scope(factory) as session:
        if worker_lost_too_often(session, chunk_id=chunk_id, task_id="t", retries=retries):
            return False
        return claim_chunk(session, chunk_id=chunk_id, task_id="t") is not None


def test_three_lost_deliveries_then_the_fourth_is_refused(
    factory: SessionFactory, new_job: NewJob
) -> None:
    _, (chunk,) = new_job(1)
    assert [_deliver(factory, chunk.id) for _ in range(4)] == [True, True, True, False]
    assert WORKER_LOST == f"worker lost {MAX_DELIVERIES} times" == "worker lost 3 times"


def test_planned_task_retries_do_not_count_as_lost_workers(
    factory: SessionFactory, new_job: NewJob
) -> None:
    """1 run + 3 retries (retries=0..3 in the message) all run; a lost retry counts once."""
    _, (chunk,) = new_job(1)
    assert [_deliver(factory, chunk.id, retries) for retries in range(4)] == [True] * 4
    # retry 3's worker dies twice more (delivered again with retries=3): lost 2, then 3
    assert [_deliver(factory, chunk.id, 3) for _ in range(3)] == [True, True, False]


def test_jobs_retry_starts_the_count_again(factory: SessionFactory, new_job: NewJob) -> None:
    job, (chunk,) = new_job(1)
    for _ in range(3):
        _deliver(factory, chunk.id)
    with session_scope(factory) as session:
        assert finish_chunk(session, chunk_id=chunk.id, error=WORKER_LOST)
        (reset,) = retry_failed_chunks(session, job_id=job.id)
        assert reset.attempts == 0
    assert [_deliver(factory, chunk.id) for _ in range(4)] == [True, True, True, False]
