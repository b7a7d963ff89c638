"""Exporting a job's dataset: images staged while the job runs, the final tree put in place."""

from pathlib import Path

import pytest

from pixcrawler.backend.db.chunks import add_chunks
from pixcrawler.backend.db.images import record_images
from pixcrawler.backend.db.jobs import create_job
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import DatasetExport
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.errors import DatabaseConnectionError
from pixcrawler.records import ManifestRow, Status


def _kept(ctx: JobContext, job_id: str, chunk_id: int, names: list[str]) -> None:
    """Kept rows for ``names`` and their files in storage, as a settled chunk leaves them."""
    rows = []
    for name in names:
        key = f"jobs/{job_id}/dataset/images/a/{name}"
        ctx.storage.put(key, name.encode())
        rows.append(
            ManifestRow(f"http://x/{name}", "a", Status.KEPT, "kept", file_name=f"images/a/{name}")
        )
    with session_scope(ctx.sessions) as session:
        record_images(session, job_id=job_id, chunk_id=chunk_id, rows=rows)


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_prefetched_images_are_moved_into_place_and_demoted_ones_dropped(
    job_ctx: JobContext, tmp_path: Path
) -> None:
    with session_scope(job_ctx.sessions) as session:
        job_id = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST)).id
        first, second = (c.id for c in add_chunks(session, job_id=job_id, chunks=[("d", {})] * 2))
    dest = tmp_path / "out"
    export = DatasetExport(job_ctx, job_id=job_id, dest=dest)
    _kept(job_ctx, job_id, first, ["1.jpg", "2.jpg"])
    assert export.prefetch() == 2
    assert export.prefetch() == 0  # nothing new
    assert _files(dest) == [".pixcrawler/incoming/images/a/1.jpg",
                            ".pixcrawler/incoming/images/a/2.jpg"]  # fmt: skip
    _kept(job_ctx, job_id, second, ["3.jpg"])
    job_ctx.storage.delete(f"jobs/{job_id}/dataset/images/a/2.jpg")  # demoted by the finalize
    job_ctx.storage.put(f"jobs/{job_id}/dataset/manifest.jsonl", b"{}\n")
    job_ctx.storage.put(f"jobs/{job_id}/dataset/metadata.jsonl", b"{}\n")

    assert export.finish() == 4
    files = _files(dest)
    assert [f for f in files if not f.endswith(("report.html", "README.md"))] == [
        "images/a/1.jpg", "images/a/3.jpg", "manifest.jsonl", "metadata.jsonl",
    ]  # fmt: skip
    assert (dest / "images/a/1.jpg").read_bytes() == b"1.jpg"


def test_discard_leaves_no_trace_of_an_unfinished_export(
    job_ctx: JobContext, tmp_path: Path
) -> None:
    with session_scope(job_ctx.sessions) as session:
        job_id = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST)).id
        (chunk,) = add_chunks(session, job_id=job_id, chunks=[("d", {})])
    _kept(job_ctx, job_id, chunk.id, ["1.jpg"])
    export = DatasetExport(job_ctx, job_id=job_id, dest=tmp_path / "out")
    export.prefetch()
    export.discard()
    assert not (tmp_path / "out").exists()


def test_a_failing_prefetch_only_loses_its_head_start(
    job_ctx: JobContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(job_ctx.sessions) as session:
        job_id = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST)).id
        (chunk,) = add_chunks(session, job_id=job_id, chunks=[("d", {})])
    _kept(job_ctx, job_id, chunk.id, ["1.jpg"])
    for name in ("manifest.jsonl", "metadata.jsonl"):
        job_ctx.storage.put(f"jobs/{job_id}/dataset/{name}", b"{}\n")
    export = DatasetExport(job_ctx, job_id=job_id, dest=tmp_path / "out")

    def unreachable(*_: object) -> None:
        raise DatabaseConnectionError("database unreachable")

    monkeypatch.setattr(export, "_new_kept_keys", unreachable)
    assert export.prefetch() == 0
    monkeypatch.undo()
    assert export.finish() == 3
    assert (tmp_path / "out/images/a/1.jpg").read_bytes() == b"1.jpg"
