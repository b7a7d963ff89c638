"""Image rows upsert by (job, url, label): a redelivered chunk updates instead of duplicating."""

from dataclasses import replace
from datetime import timedelta

from db_support import NewJob
from sqlalchemy import func, select, update

from pixcrawler.backend.db import (
    Chunk,
    Image,
    claim_chunk,
    dataset_key,
    iter_images,
    record_images,
    session_scope,
    update_outcomes,
)
from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db.session import SessionFactory
from pixcrawler.records import ManifestRow, Status


def rows(count: int, status: Status = Status.KEPT) -> list[ManifestRow]:
    kept = status is Status.KEPT
    return [
        ManifestRow(
            url=f"https://img.example/{n}.jpg",
            label="cat",
            status=status,
            reason="kept" if kept else "http 404",
            source="bing",
            sha256=f"{n:064x}",
            file_name=f"images/cat/{n:020x}.jpg" if kept else None,
            width=640,
            height=480,
            phash=f"{n:016x}",
            quality={"sharpness": 12.5},
            attempts=1,
        )
        for n in range(count)
    ]


def images_of(factory: SessionFactory, job_id: str) -> list[Image]:
    with session_scope(factory) as session:
        statement = select(Image).where(Image.job_id == job_id).order_by(Image.url, Image.label)
        return list(session.scalars(statement))


def test_recording_the_same_rows_twice_keeps_one_row_each(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, (chunk,) = new_job(1)
    for _ in range(2):
        with session_scope(factory) as session:
            assert record_images(session, job_id=job.id, chunk_id=chunk.id, rows=rows(5)) == 5

    stored = images_of(factory, job.id)
    assert len(stored) == 5
    assert stored[0].quality == {"sharpness": 12.5} and stored[0].chunk_id == chunk.id


def test_a_changed_outcome_replaces_the_earlier_one(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, (chunk,) = new_job(1)
    with session_scope(factory) as session:
        record_images(
            session, job_id=job.id, chunk_id=chunk.id, rows=rows(3, Status.DOWNLOAD_FAILED)
        )
    with session_scope(factory) as session:
        record_images(session, job_id=job.id, chunk_id=None, rows=rows(2, Status.KEPT))

    statuses = [(image.status, image.reason) for image in images_of(factory, job.id)]
    assert statuses == [("kept", "kept"), ("kept", "kept"), ("download_failed", "http 404")]


def test_the_same_url_under_two_labels_is_two_rows(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, _ = new_job()
    url = "https://img.example/x.jpg"
    both = [ManifestRow(url, label, Status.KEPT, "kept") for label in "ab"]
    repeated = [*both, replace(both[0], status=Status.DUPLICATE)]  # last row for a key wins
    with session_scope(factory) as session:
        assert record_images(session, job_id=job.id, chunk_id=None, rows=repeated) == 2
        no_quality = select(func.count()).where(Image.job_id == job.id, Image.quality.is_(None))
        assert session.scalar(no_quality) == 2  # SQL NULL, not the JSON text 'null'

    assert [(i.label, i.status) for i in images_of(factory, job.id)] == [
        ("a", "duplicate"), ("b", "kept")
    ]  # fmt: skip


def test_rows_read_back_equal_the_rows_written(factory: SessionFactory, new_job: NewJob) -> None:
    """The table is a store of ManifestRow: every field survives, the file as a storage key."""
    job, (chunk,) = new_job(1)
    written = [
        *rows(2),
        replace(rows(1, Status.DUPLICATE)[0], url="https://img.example/d.jpg", label="dog",
                duplicate_of="images/cat/0.jpg", cross_class=True, reason="exact duplicate"),
        replace(rows(1, Status.FILTERED)[0], url="https://img.example/q.jpg", retryable=True),
    ]  # fmt: skip
    with session_scope(factory) as session:
        record_images(session, job_id=job.id, chunk_id=chunk.id, rows=written)
    with session_scope(factory) as session:
        assert list(iter_images(session, job_id=job.id)) == written
        kept = list(iter_images(session, job_id=job.id, status=Status.KEPT))
        keys = session.scalars(select(Image.file_key).where(Image.job_id == job.id)).all()
    assert kept == written[:2]
    assert sorted(filter(None, keys)) == [dataset_key(job.id, str(r.file_name)) for r in kept]


def test_new_outcomes_keep_their_place(factory: SessionFactory, new_job: NewJob) -> None:
    job, (chunk,) = new_job(1)
    first, second = rows(2)
    with session_scope(factory) as session:
        record_images(session, job_id=job.id, chunk_id=chunk.id, rows=[first, second])
    demoted = replace(
        first, status=Status.DUPLICATE, reason="near duplicate of x", file_name=None,
        duplicate_of="images/dog/x.jpg", cross_class=True,
    )  # fmt: skip
    with session_scope(factory) as session:
        assert update_outcomes(session, job_id=job.id, rows=[demoted]) == 1
    with session_scope(factory) as session:
        assert list(iter_images(session, job_id=job.id)) == [demoted, second]


def test_recording_images_is_a_heartbeat_for_the_chunk(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, (chunk,) = new_job(1)
    old = utcnow() - timedelta(hours=2)
    with session_scope(factory) as session:
        claim_chunk(session, chunk_id=chunk.id, task_id="t")
        session.execute(update(Chunk).where(Chunk.id == chunk.id).values(updated_at=old))
    with session_scope(factory) as session:
        record_images(session, job_id=job.id, chunk_id=chunk.id, rows=rows(1))
    with session_scope(factory) as session:
        refreshed = session.get(Chunk, chunk.id)
        assert refreshed is not None and refreshed.updated_at > old + timedelta(hours=1)
