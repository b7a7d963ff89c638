"""Job control: `pixcrawler jobs cancel | retry | resume`, their rules and their one-line errors.

The rules run in-process on SQLite with a stand-in for the Celery app; the flows run on a real
worker, Redis and PostgreSQL (the deployment of ``test_reliability``).
"""

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery
from kombu.exceptions import OperationalError
from sqlalchemy import select

from pixcrawler.backend.db.chunks import add_chunks, claim_chunk, finish_chunk
from pixcrawler.backend.db.jobs import complete_job_if_done, create_job, job_progress
from pixcrawler.backend.db.models import Chunk
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import control, submit_job
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.control import JobControlError, Resumed
from pixcrawler.backend.distributed.settle import NOT_SETTLED, job_settled, settle_chunk
from pixcrawler.builder import tasks
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.celery_app._ids import chunk_task_id, finalize_task_id

# The real deployment's fixtures, shared with the reliability tests.
from support.deployment import Deployment, Worker, wait_for
from support.held_routes import downloading, sources, url_lists
from support.images import ImageSet
from support.server import FixtureServer


class FakeCelery:
    """The slice of a Celery app that job control uses: a broker connection, revoke, and
    ``inspect().query_task``."""

    def __init__(self, held: frozenset[str] = frozenset()) -> None:
        self.control = self
        self.held = held
        self.revoked: list[str] = []

    @contextmanager
    def connection_for_write(self) -> Iterator[Any]:
        yield SimpleNamespace(ensure_connection=lambda max_retries: None)

    def revoke(self, task_ids: list[str], *, terminate: bool) -> None:
        assert terminate is False
        self.revoked.extend(task_ids)

    def inspect(self, *, timeout: float) -> "FakeCelery":
        return self

    def query_task(self, *task_ids: str) -> dict[str, Any] | None:
        found = {task_id: ["active", {}] for task_id in task_ids if task_id in self.held}
        return {"celery@elsewhere": found} if found else None


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What job control sends to the broker, recorded instead of sent."""
    calls: list[tuple[str, Any]] = []

    def dispatch(*, job_id: str, kind: str, chunk_ids: list[int]) -> None:
        calls.append(("chunks", list(chunk_ids)))

    monkeypatch.setattr(control, "dispatch_chunks", dispatch)
    for name in ("send_finalize", "send_plan"):
        monkeypatch.setattr(control, name, lambda job_id, _n=name: calls.append((_n, job_id)))
    return calls


def _job(ctx: JobContext, states: list[str]) -> tuple[str, list[int]]:
    """A job whose chunks are in ``states`` (pending, running, done, failed)."""
    with session_scope(ctx.sessions) as session:
        job_id = create_job(session, user_id=None, spec=JobSpec(kind=JobKind.URL_LIST)).id
        chunks = add_chunks(
            session, job_id=job_id, chunks=[("download", {"candidates": []})] * len(states)
        )
        ids = [chunk.id for chunk in chunks]
        for chunk_id, state in zip(ids, states, strict=True):
            if state != "pending":
                claim_chunk(session, chunk_id=chunk_id, task_id=chunk_task_id(job_id, chunk_id))
            if state in ("done", "failed"):
                finish_chunk(
                    session, chunk_id=chunk_id, error="boom" if state == "failed" else None
                )
    return job_id, ids


def _statuses(ctx: JobContext, job_id: str) -> tuple[str, list[str]]:
    with session_scope(ctx.sessions) as session:
        statuses = session.scalars(
            select(Chunk.status).where(Chunk.job_id == job_id).order_by(Chunk.index)
        ).all()
        return job_progress(session, job_id=job_id).status, list(statuses)


def test_cancel_revokes_every_open_chunk_task_claimed_or_not(job_ctx: JobContext) -> None:
    job_id, ids = _job(job_ctx, ["done", "running", "pending"])
    celery = FakeCelery()
    assert control.cancel(job_ctx, celery, job_id=job_id) == 2
    assert sorted(celery.revoked) == sorted(chunk_task_id(job_id, c) for c in ids[1:])
    assert _statuses(job_ctx, job_id) == ("cancelled", ["done", "cancelled", "cancelled"])
    with pytest.raises(JobControlError, match=f"^job {job_id} is already cancelled$"):
        control.cancel(job_ctx, celery, job_id=job_id)


def test_a_cancelled_chunk_task_that_runs_anyway_does_nothing(job_ctx: JobContext) -> None:
    job_id, (chunk_id,) = _job(job_ctx, ["pending"])
    control.cancel(job_ctx, FakeCelery(), job_id=job_id)
    result = tasks.download_chunk.apply(kwargs={"job_id": job_id, "chunk_id": chunk_id})
    assert result.successful() and result.result is None
    assert _statuses(job_ctx, job_id) == ("cancelled", ["cancelled"])


def test_resume_sends_the_open_chunks_no_live_worker_holds(
    job_ctx: JobContext, sent: list[tuple[str, Any]]
) -> None:
    job_id, ids = _job(job_ctx, ["done", "running", "running", "pending"])
    celery = FakeCelery(held=frozenset({chunk_task_id(job_id, ids[1])}))
    resumed = control.resume(job_ctx, celery, job_id=job_id)
    assert resumed == Resumed(dispatched=2, held=1)
    assert sent == [("chunks", [ids[2], ids[3]])]  # the chunk a live worker holds is left to it


def test_resume_with_every_open_chunk_held_sends_nothing(
    job_ctx: JobContext, sent: list[tuple[str, Any]]
) -> None:
    """The held chunk finalizes the job when it settles last."""
    job_id, ids = _job(job_ctx, ["done", "running"])
    celery = FakeCelery(held=frozenset({chunk_task_id(job_id, ids[1])}))
    assert control.resume(job_ctx, celery, job_id=job_id) == Resumed(dispatched=0, held=1)
    assert sent == []


def test_resume_of_a_settled_job_sends_its_finalize_unless_held(
    job_ctx: JobContext, sent: list[tuple[str, Any]]
) -> None:
    job_id, _ = _job(job_ctx, ["done", "failed"])
    assert control.resume(job_ctx, FakeCelery(), job_id=job_id) == Resumed(dispatched=0, held=0)
    assert sent == [("send_finalize", job_id)]
    held = FakeCelery(held=frozenset({finalize_task_id(job_id)}))
    assert control.resume(job_ctx, held, job_id=job_id) == Resumed(dispatched=0, held=1)
    assert len(sent) == 1


def test_resume_plans_a_job_that_never_was(
    job_ctx: JobContext, sent: list[tuple[str, Any]]
) -> None:
    job_id, _ = _job(job_ctx, [])
    assert control.resume(job_ctx, FakeCelery(), job_id=job_id).planned
    assert sent == [("send_plan", job_id)]


def test_retry_resets_failed_chunks_and_sends_them(
    job_ctx: JobContext, sent: list[tuple[str, Any]]
) -> None:
    job_id, ids = _job(job_ctx, ["done", "failed"])
    assert control.retry(job_ctx, FakeCelery(), job_id=job_id) == 1
    assert sent == [("chunks", [ids[1]])]
    assert _statuses(job_ctx, job_id) == ("running", ["done", "pending"])
    with pytest.raises(JobControlError, match="has no failed chunks to retry"):
        control.retry(job_ctx, FakeCelery(), job_id=job_id)


@pytest.mark.parametrize("action", ["cancel", "retry", "resume"])
def test_unknown_job(job_ctx: JobContext, action: str) -> None:
    with pytest.raises(JobControlError, match=r"^no job nope$"):
        getattr(control, action)(job_ctx, FakeCelery(), job_id="nope")


@pytest.fixture
def unreachable_broker() -> Iterator[Celery]:
    """A Celery app whose broker refuses connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    celery = Celery(broker=f"redis://127.0.0.1:{port}/0")
    yield celery
    celery.close()


def test_unreachable_broker_is_one_line_and_retry_changes_nothing(
    job_ctx: JobContext, unreachable_broker: Celery
) -> None:
    job_id, _ = _job(job_ctx, ["failed", "pending"])
    with pytest.raises(JobControlError, match=f"^job {job_id} not retried: broker unreachable"):
        control.retry(job_ctx, unreachable_broker, job_id=job_id)
    assert _statuses(job_ctx, job_id)[1] == ["failed", "pending"]
    with pytest.raises(JobControlError, match="cancelled, but its tasks were not revoked"):
        control.cancel(job_ctx, unreachable_broker, job_id=job_id)
    assert _statuses(job_ctx, job_id)[0] == "cancelled"  # a cancelled job's tasks do nothing


def test_finished_and_cancelled_jobs_are_refused(job_ctx: JobContext) -> None:
    done_id, _ = _job(job_ctx, ["done"])
    with session_scope(job_ctx.sessions) as session:
        complete_job_if_done(session, job_id=done_id)
    with pytest.raises(JobControlError, match=f"^job {done_id} is already completed$"):
        control.resume(job_ctx, FakeCelery(), job_id=done_id)
    cancelled_id, _ = _job(job_ctx, ["failed"])
    control.cancel(job_ctx, FakeCelery(), job_id=cancelled_id)
    with pytest.raises(JobControlError, match="was cancelled; it cannot be retried"):
        control.retry(job_ctx, FakeCelery(), job_id=cancelled_id)


def test_finalize_of_a_job_with_open_chunks_does_nothing(job_ctx: JobContext) -> None:
    """The chunk still running sends the finalize again when it settles."""
    job_id, _ = _job(job_ctx, ["done", "running"])
    assert tasks.finalize_job.apply(kwargs={"job_id": job_id}).result is False
    assert _statuses(job_ctx, job_id) == ("running", ["done", "running"])


@pytest.mark.parametrize(
    ("states", "last"),
    [(["failed", "running"], True), (["done", "running"], True),
     (["running", "running"], False), (["pending", "running"], False)],
)  # fmt: skip
def test_only_the_chunk_that_settles_last_finalizes(
    job_ctx: JobContext, monkeypatch: pytest.MonkeyPatch, states: list[str], last: bool
) -> None:
    job_id, ids = _job(job_ctx, states)
    finalized: list[str] = []
    monkeypatch.setattr(tasks, "send_finalize", finalized.append)
    tasks.record_task_failure({"job_id": job_id, "chunk_id": ids[-1]}, RuntimeError("boom"))
    assert finalized == [job_id] * last
    with session_scope(job_ctx.sessions) as session:
        assert settle_chunk(session, job_id=job_id, chunk_id=ids[-1]) == NOT_SETTLED


def test_cancelled_job_is_never_settled(job_ctx: JobContext) -> None:
    job_id, _ = _job(job_ctx, ["done", "running"])
    control.cancel(job_ctx, FakeCelery(), job_id=job_id)
    with session_scope(job_ctx.sessions) as session:
        assert not job_settled(session, job_id=job_id)


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    """Unknown job: one line on stderr, exit 2, no traceback (embedded default, no services)."""
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "--log-level", "WARNING", "jobs", "cancel", "nope"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no job nope (pixcrawler jobs lists them)"
    assert result.stdout == ""


def test_cancel_mid_job_records_nothing_more(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """One worker slot: chunk a is mid-download, b and c wait in the queue; cancel stops all."""
    lists = url_lists(server, images, tmp_path, "abc", gate, per_label=1)
    worker = deployment.worker(concurrency=1)
    job_id = deployment.submit(sources(tmp_path, lists))
    wait_for("chunk a downloading", downloading(server, lists["a"]))
    cancelled = deployment.cli("jobs", "cancel", job_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout == f"job {job_id}: cancelled (3 chunk tasks revoked)\n"
    gate.set()  # chunk a gets its image only now, after the cancellation

    def finished_with_chunk_a() -> bool:
        return any(r["message"].startswith("chunk cancelled") for r in worker.records())

    wait_for("chunk a to end", finished_with_chunk_a)
    wait_for("b and c discarded", lambda: _discarded(worker) >= 2)
    assert deployment.status(job_id) == "cancelled"
    assert {c.status for c in deployment.chunks(job_id)} == {"cancelled"}
    assert server.count(lists["b"][0]) == server.count(lists["c"][0]) == 0  # revoked, never run
    deployment.assert_nothing_stored(job_id)


def test_retry_failed_chunk_completes_the_job(
    deployment: Deployment, server: FixtureServer, images: ImageSet, tmp_path: Path
) -> None:
    """Chunk b cannot store its images (its folder is a file): it fails after 3 retries, the job
    ends failed; once the folder is fixed, ``jobs retry`` completes it."""
    lists = url_lists(server, images, tmp_path, "ab")
    job_id = deployment.record(sources(tmp_path, lists))
    blocker = deployment.storage_path(f"jobs/{job_id}/dataset/images/b")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    deployment.worker()
    deployment.plan(job_id)
    deployment.wait_for_status(job_id, "failed")
    chunk_b = deployment.chunks(job_id)[1]
    assert (chunk_b.status, chunk_b.attempts) == ("failed", 4)
    assert chunk_b.error is not None and chunk_b.error.startswith("local i/o error")

    blocker.unlink()
    retried = deployment.cli("jobs", "retry", job_id)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == f"job {job_id}: 1 failed chunks sent again\n"
    deployment.wait_for_status(job_id, "completed")
    deployment.assert_nothing_lost_or_doubled(job_id, lists["a"] + lists["b"])


def _discarded(worker: Worker) -> int:
    return sum("Discarding revoked task" in r["message"] for r in worker.records())


def test_a_broker_blip_while_planning_leaves_the_job_to_the_watchdog(
    job_ctx: JobContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The chunks stay pending and the job open: the watchdog sends them once it is idle."""
    listing = tmp_path / "a.txt"
    listing.write_text("http://127.0.0.1:9/a.jpg\n")
    job_id = submit_job(job_ctx, JobSpec(kind=JobKind.URL_LIST), [listing])

    def unreachable(**_: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks, "dispatch_chunks", unreachable)
    assert tasks.plan_job.apply(kwargs={"job_id": job_id}).result == 1
    assert _statuses(job_ctx, job_id) == ("pending", ["pending"])
