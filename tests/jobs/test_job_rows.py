"""A distributed job's rows and counters tell the truth: levels, duplicates, caps (eager tasks)."""

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixcrawler.backend.db.jobs import job_progress
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import export_job, submit_job
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder import tasks
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.config import Settings
from pixcrawler.validator.dedup import hamming
from pixcrawler.validator.levels import SLOW_DEDUP_WIDENING, ValidationProfile, validate_image
from support.images import ImageSet
from support.server import FixtureServer


def _run_job(ctx: JobContext, tmp_path: Path, urls: list[str], **spec: Any) -> dict[str, Any]:
    """Run a URL-list job of class ``things`` eagerly; the exported dataset's manifest rows."""
    listing = tmp_path / "things.txt"
    listing.write_text("\n".join(urls) + "\n")
    job_id = submit_job(ctx, JobSpec(kind=JobKind.URL_LIST, **spec), [listing])
    tasks.plan_job.apply(kwargs={"job_id": job_id})
    out = tmp_path / "out"
    export_job(ctx, job_id=job_id, dest=out)
    with session_scope(ctx.sessions) as session:
        progress = job_progress(session, job_id=job_id)
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    return {"progress": progress, "rows": {row["url"]: row for row in rows}, "out": out}


def test_a_medium_job_keeps_quality_scores_and_in_chunk_originals(
    small_chunks: None, job_ctx: JobContext, eager: None, server: FixtureServer,
    images: ImageSet, tmp_path: Path,
) -> None:  # fmt: skip
    first = server.add("/q/a.jpg", images.jpegs[0])
    copy = server.add("/q/a-copy.jpg", images.jpegs[0])  # same chunk as its original
    other = server.add("/q/b.jpg", images.jpegs[1])
    job = _run_job(job_ctx, tmp_path, [first, copy, other], validation_level="medium")

    rows = job["rows"]
    # Which copy arrives first is a race inside the chunk: one is kept, the other names it.
    original, duplicate = sorted((rows[first], rows[copy]), key=lambda r: r["status"] != "kept")
    assert (original["status"], duplicate["status"], rows[other]["status"]) == (
        "kept", "duplicate", "kept"
    )  # fmt: skip
    assert original["quality"] and "sharpness" in original["quality"]
    assert duplicate["duplicate_of"] == original["file_name"]
    assert duplicate["cross_class"] is False
    assert duplicate["reason"] == f"exact duplicate of {original['file_name']}"


def _phash(data: bytes) -> int:
    return validate_image(data, ValidationProfile.from_settings(Settings())).phash


def _near_copy(original: bytes) -> tuple[bytes, int]:
    """A copy with a patch painted over it, 1 to 4 pHash bits away from ``original``."""
    for size in range(4, 160, 4):
        with Image.open(io.BytesIO(original)) as picture:
            painted = picture.convert("RGB")
        painted.paste((255, 255, 255), (0, 0, size, size))
        buffer = io.BytesIO()
        painted.save(buffer, "JPEG", quality=90)
        distance = hamming(_phash(original), _phash(buffer.getvalue()))
        if 1 <= distance <= SLOW_DEDUP_WIDENING:
            return buffer.getvalue(), distance
    raise AssertionError("no patch size gives a near copy")


@pytest.fixture
def near_pair(images: ImageSet, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    """A picture and a near copy just beyond ``PIXCRAWLER_PHASH_THRESHOLD`` (set here), but
    within the slow level's wider radius. Request it before ``job_ctx``."""
    near, distance = _near_copy(images.jpegs[2])
    monkeypatch.setenv("PIXCRAWLER_PHASH_THRESHOLD", str(distance - 1))
    return images.jpegs[2], near


@pytest.mark.parametrize(("level", "status"), [("fast", "kept"), ("slow", "duplicate")])
def test_the_job_wide_dedup_uses_the_levels_radius(
    near_pair: tuple[bytes, bytes], small_chunks: None, job_ctx: JobContext, eager: None,
    server: FixtureServer, images: ImageSet, tmp_path: Path, level: str, status: str,
) -> None:  # fmt: skip
    original, near = near_pair
    fillers = [server.add(f"/r/{n}.jpg", images.jpegs[3 + n]) for n in range(2)]
    urls = [server.add("/r/original.jpg", original), *fillers, server.add("/r/near.jpg", near)]
    job = _run_job(job_ctx, tmp_path, urls, validation_level=level)  # near is in chunk 2

    assert job["rows"][urls[-1]]["status"] == status


def test_counters_match_the_dataset_after_job_wide_dedup(
    small_chunks: None, job_ctx: JobContext, eager: None, server: FixtureServer,
    images: ImageSet, tmp_path: Path,
) -> None:  # fmt: skip
    # 9 URLs, 3 pictures, each picture in three chunks: chunks keep 9, the dataset holds 3.
    urls = [server.add(f"/c/{n}.jpg", images.jpegs[n % 3]) for n in range(9)]
    job = _run_job(job_ctx, tmp_path, urls)

    statuses = Counter(row["status"] for row in job["rows"].values())
    progress = job["progress"]
    assert statuses == {"kept": 3, "duplicate": 6}
    assert (progress.kept, progress.duplicates, progress.candidates) == (3, 6, 9)
    assert len(list((job["out"] / "images").rglob("*.jpg"))) == 3


def test_the_per_class_quota_holds_across_chunks_while_they_run(
    small_chunks: None, job_ctx: JobContext, eager: None, server: FixtureServer,
    images: ImageSet, tmp_path: Path,
) -> None:  # fmt: skip
    missing = server.add("/p/missing.jpg", b"gone", status=404)
    urls = [missing, *(server.add(f"/p/{n}.jpg", images.jpegs[n]) for n in range(12))]
    job = _run_job(job_ctx, tmp_path, urls, per_class=4)  # 5 chunks of 3 rows

    statuses = Counter(row["status"] for row in job["rows"].values())
    assert statuses == {"kept": 4, "download_failed": 1, "filtered": 8}
    assert job["progress"].kept == 4
    assert len(list((job["out"] / "images").rglob("*.jpg"))) == 4
    # Like a local build, the workers fetched what they kept (and the one that failed).
    assert sum(server.count(url) for url in urls) == 5
