"""Image rows upsert by (job, url, label): a redelivered chunk updates instead of duplicating."""

from datetime import timedelta
from typing import Any

import pytest
from db_support import NewJob
from sqlalchemy import func, select, update

from pixcrawler.backend.db import Chunk, Image, claim_chunk, record_images, session_scope
from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db.session import SessionFactory


def rows(count: int, status: str = "kept") -> list[dict[str, Any]]:
    return [
        {
            "url": f"https://img.example/{n}.jpg",
            "label": "cat",
            "status": status,
            "reason": "" if status == "kept" else "http 404",
            "source": "bing",
            "sha256": f"{n:064x}",
            "file_key": f"images/cat/{n:020x}.jpg",
            "width": 640,
            "height": 480,
            "quality": {"sharpness": 12.5},
        }
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
        record_images(session, job_id=job.id, chunk_id=chunk.id, rows=rows(3, "download_failed"))
    with session_scope(factory) as session:
        record_images(session, job_id=job.id, chunk_id=None, rows=rows(2, "kept"))

    statuses = [(image.status, image.reason) for image in images_of(factory, job.id)]
    assert statuses == [("kept", ""), ("kept", ""), ("download_failed", "http 404")]


def test_the_same_url_under_two_labels_is_two_rows(
    factory: SessionFactory, new_job: NewJob
) -> None:
    job, _ = new_job()
    url = "https://img.example/x.jpg"
    both = [{"url": url, "label": label, "status": "kept"} for label in "ab"]
    repeated = [*both, {**both[0], "status": "duplicate"}]  # last row for a key wins
    with session_scope(factory) as session:
        assert record_images(session, job_id=job.id, chunk_id=None, rows=repeated) == 2
        no_quality = select(func.count()).where(Image.job_id == job.id, Image.quality.is_(None))
        assert session.scalar(no_quality) == 2  # SQL NULL, not the JSON text 'null'

    assert [(i.label, i.status) for i in images_of(factory, job.id)] == [
        ("a", "duplicate"), ("b", "kept")
    ]  # fmt: skip


def test_rows_are_checked_before_writing(factory: SessionFactory, new_job: NewJob) -> None:
    job, _ = new_job()
    with session_scope(factory) as session:
        with pytest.raises(ValueError, match="unknown"):
            record_images(session, job_id=job.id, chunk_id=None, rows=[{**rows(1)[0], "bad": 1}])
        with pytest.raises(ValueError, match="lacks"):
            record_images(session, job_id=job.id, chunk_id=None, rows=[{"url": "u"}])
        assert record_images(session, job_id=job.id, chunk_id=None, rows=[]) == 0
        count = select(func.count()).select_from(Image).where(Image.job_id == job.id)
        assert session.scalar(count) == 0


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
