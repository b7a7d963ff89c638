"""Job control through the API: cancel, retry, resume and revalidate, each answering what it
did, 409 when it does not apply, and leaving its trace in the activity log."""

from fastapi.testclient import TestClient

from api.conftest import Caller
from api.world import completed_job
from pixcrawler.backend.db import Chunk, Job, JobStatus, session_scope
from pixcrawler.backend.db.chunks import add_chunks
from pixcrawler.backend.db.jobs import create_job
from pixcrawler.builder.jobspec import JobKind, JobSpec


def _running_job(api: TestClient, user_id: int, *, failed: int = 0) -> str:
    """A planned, running URL-list job of three chunks, the first ``failed`` of them failed."""
    context = api.app.state.context  # type: ignore[attr-defined]
    with session_scope(context.sessions) as session:
        job = create_job(session, user_id=user_id, spec=JobSpec(kind=JobKind.URL_LIST))
        job.status = JobStatus.RUNNING
        chunks = add_chunks(session, job_id=job.id,
                            chunks=[("download", {"candidates": []})] * 3)  # fmt: skip
        for chunk in chunks[:failed]:
            chunk.status = "failed"
        job.chunks_failed = failed
        return job.id


def _status(api: TestClient, job_id: str) -> tuple[str, list[str]]:
    with session_scope(api.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        job = session.get(Job, job_id)
        assert job is not None
        chunks = session.query(Chunk).filter(Chunk.job_id == job_id).order_by(Chunk.index)
        return job.status, [chunk.status for chunk in chunks]


def _actions(api: TestClient, caller: Caller) -> list[str]:
    items = api.get("/api/v1/activity", headers=caller.headers).json()["items"]
    return [item["action"] for item in items]


def test_cancel_stops_a_running_job_once(api: TestClient, alice: Caller) -> None:
    job_id = _running_job(api, alice.user_id)
    first = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=alice.headers)
    again = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=alice.headers)

    assert first.status_code == 200, first.text
    assert first.json()["action"] == "cancel" and first.json()["tasks"] >= 3
    assert _status(api, job_id) == ("cancelled", ["cancelled"] * 3)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert "job.cancel" in _actions(api, alice)


def test_retry_sends_the_failed_chunks_again_and_409s_without_any(
    api: TestClient, alice: Caller
) -> None:
    job_id = _running_job(api, alice.user_id, failed=2)
    retried = api.post(f"/api/v1/jobs/{job_id}/retry", headers=alice.headers)
    nothing_left = api.post(f"/api/v1/jobs/{job_id}/retry", headers=alice.headers)

    assert retried.status_code == 200, retried.text
    assert retried.json() == {"job_id": job_id, "action": "retry", "tasks": 2}
    assert _status(api, job_id)[1] == ["pending", "pending", "pending"]
    assert nothing_left.status_code == 409
    assert "has no failed chunks" in nothing_left.json()["error"]["message"]


def test_resume_resends_what_no_worker_holds_and_refuses_a_finished_job(
    api: TestClient, alice: Caller
) -> None:
    job_id = _running_job(api, alice.user_id)
    resumed = api.post(f"/api/v1/jobs/{job_id}/resume", headers=alice.headers)
    finished = completed_job(api, alice.user_id)
    refused = api.post(f"/api/v1/jobs/{finished.job_id}/resume", headers=alice.headers)

    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["tasks"] == 3  # no worker runs here: every open chunk is re-sent
    assert refused.status_code == 409 and "already completed" in refused.text
    assert "job.resume" in _actions(api, alice)


def test_revalidate_queues_a_completed_job_at_its_level_only(
    api: TestClient, alice: Caller
) -> None:
    finished = completed_job(api, alice.user_id)
    running = _running_job(api, alice.user_id)
    queued = api.post(f"/api/v1/jobs/{finished.job_id}/revalidate", headers=alice.headers,
                      json={"level": "slow"})  # fmt: skip
    refused = api.post(f"/api/v1/jobs/{running}/revalidate", headers=alice.headers,
                       json={"level": "fast"})  # fmt: skip
    unknown = api.post(f"/api/v1/jobs/{finished.job_id}/revalidate", headers=alice.headers,
                       json={"level": "thorough"})  # fmt: skip

    assert queued.status_code == 202, queued.text
    assert queued.json() == {"job_id": finished.job_id, "action": "revalidate:slow", "tasks": 1}
    assert refused.status_code == 409
    assert unknown.status_code == 422
    assert "job.revalidate.slow" in _actions(api, alice)


def test_a_read_scope_key_cannot_control_jobs(api: TestClient, alice: Caller) -> None:
    from api.conftest import make_caller

    job_id = _running_job(api, alice.user_id)
    reader = make_caller(api, "reader@example.org", scopes="read")
    with session_scope(api.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        session.get(Job, job_id).user_id = reader.user_id  # type: ignore[union-attr]
    for action in ("cancel", "retry", "resume"):
        answer = api.post(f"/api/v1/jobs/{job_id}/{action}", headers=reader.headers)
        assert answer.status_code == 403, action
