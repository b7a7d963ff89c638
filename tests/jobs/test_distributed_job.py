"""A whole distributed job, run eagerly (test_parity.py compares one with a local build)."""

import json
from pathlib import Path

from pixcrawler.backend.db.jobs import job_progress
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import export_job, submit_job
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder import tasks
from pixcrawler.builder.jobspec import JobKind, JobSpec
from support.server import FixtureServer


def test_url_list_job_runs_to_an_exported_dataset_and_its_hot_zip(
    small_chunks: None, job_ctx: JobContext, eager: None, server: FixtureServer,
    failure_modes: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    names = ["ok_1", "ok_2", "ok_3", "exact_dup", "not_found", "truncated", "ok_png", "near_dup"]
    listing = tmp_path / "things.txt"
    listing.write_text("\n".join(failure_modes[n] for n in names) + "\n")
    spec = JobSpec(kind=JobKind.URL_LIST, label_formats=("json", "csv"))
    job_id = submit_job(job_ctx, spec, [listing])
    tasks.plan_job.apply(kwargs={"job_id": job_id})
    with session_scope(job_ctx.sessions) as session:
        progress = job_progress(session, job_id=job_id)
    assert progress.status == "completed"
    assert progress.chunks_total == 3

    distributed = tmp_path / "distributed"
    export_job(job_ctx, job_id=job_id, dest=distributed)
    rows = [json.loads(x) for x in (distributed / "manifest.jsonl").read_text().splitlines()]
    status = {r["url"]: r["status"] for r in rows}
    assert status[failure_modes["exact_dup"]] == "duplicate"
    assert status[failure_modes["near_dup"]] == "duplicate"
    assert status[failure_modes["not_found"]] == "download_failed"
    assert (distributed / "report.html").is_file()
    assert job_ctx.storage.exists(f"archives/{job_id}/{job_id}.zip")


def test_redelivered_chunk_writes_nothing_twice(
    job_ctx: JobContext, eager: None, server: FixtureServer, failure_modes: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    listing = tmp_path / "x.txt"
    listing.write_text(failure_modes["ok_1"] + "\n" + failure_modes["ok_2"] + "\n")
    job_id = submit_job(job_ctx, JobSpec(kind=JobKind.URL_LIST), [listing])
    tasks.plan_job.apply(kwargs={"job_id": job_id})
    with session_scope(job_ctx.sessions) as session:
        before = job_progress(session, job_id=job_id)
    # The same chunk delivered again (late ack after a lost worker): nothing changes.
    tasks.download_chunk.apply(kwargs={"job_id": job_id, "chunk_id": 1})
    with session_scope(job_ctx.sessions) as session:
        after = job_progress(session, job_id=job_id)
    assert (after.kept, after.candidates, after.chunks_done) == (
        before.kept,
        before.candidates,
        before.chunks_done,
    )
    assert sorted(job_ctx.storage.list(f"jobs/{job_id}/dataset/images")) == sorted(
        set(job_ctx.storage.list(f"jobs/{job_id}/dataset/images"))
    )
