"""Per-user job limits and the Redis rate-limit counter shared by API processes."""

import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from fastapi.testclient import TestClient

from api.conftest import make_caller
from pixcrawler.backend.api import create_app, ratelimit
from pixcrawler.backend.db import Job, JobStatus, session_scope
from pixcrawler.config import get_settings

SPEC = {"kind": "keywords", "keywords": ["cat"], "engines": ["bing"], "per_class": 2}


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """An app allowing one open job and two jobs a day per user."""
    monkeypatch.setenv("PIXCRAWLER_LIMIT_CONCURRENT_JOBS", "1")
    monkeypatch.setenv("PIXCRAWLER_LIMIT_JOBS_PER_DAY", "2")
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        yield client


def _finish(api: TestClient, job_id: str) -> None:
    with session_scope(api.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        session.get(Job, job_id).status = JobStatus.COMPLETED  # type: ignore[union-attr]


def test_concurrent_jobs_and_jobs_per_day_answer_429_naming_the_limit(
    limited: TestClient,
) -> None:
    erin = make_caller(limited, "erin@example.org")
    first = limited.post("/api/v1/jobs", headers=erin.headers, json={"spec": SPEC})
    while_open = limited.post("/api/v1/jobs", headers=erin.headers, json={"spec": SPEC})
    _finish(limited, first.json()["id"])
    second = limited.post("/api/v1/jobs", headers=erin.headers, json={"spec": SPEC})
    _finish(limited, second.json()["id"])
    third = limited.post("/api/v1/jobs", headers=erin.headers, json={"spec": SPEC})

    assert first.status_code == second.status_code == 201
    assert while_open.status_code == 429
    assert while_open.json()["error"]["code"] == "limit_exceeded"
    assert "concurrent_jobs (1)" in while_open.json()["error"]["message"]
    assert "retry-after" not in while_open.headers  # it resets when a job ends, not at a time
    assert third.status_code == 429 and "jobs_per_day (2)" in third.json()["error"]["message"]
    assert 86_000 < int(third.headers["retry-after"]) <= 86_400
    jobs = limited.get("/api/v1/jobs", headers=erin.headers).json()["items"]
    assert len(jobs) == 2  # a refused request wrote nothing


def test_an_admin_is_not_limited(limited: TestClient) -> None:
    admin = make_caller(limited, "root@example.org", scopes="read,write,admin")
    with session_scope(limited.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        from pixcrawler.backend.db import User

        session.get(User, admin.user_id).role = "admin"  # type: ignore[union-attr]
    codes = [limited.post("/api/v1/jobs", headers=admin.headers, json={"spec": SPEC}).status_code
             for _ in range(3)]  # fmt: skip
    assert codes == [201, 201, 201]


def test_the_redis_counter_counts_per_key_and_window_and_expires(redis_url: str) -> None:
    counter = ratelimit.RedisCounter(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    counts = [counter.hit(key, 7) for _ in range(3)]
    other_window = counter.hit(key, 8)
    other_key = counter.hit(key + "x", 7)

    assert counts == [1, 2, 3] and other_window == 1 and other_key == 1
    ttl = redis.Redis.from_url(redis_url).ttl(f"pixcrawler:ratelimit:{key}:7")
    assert 0 < ttl <= 2 * ratelimit.WINDOW


def test_two_api_processes_share_one_redis_limit(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIXCRAWLER_RATE_LIMIT_REDIS_URL", redis_url)
    monkeypatch.setenv("PIXCRAWLER_RATE_LIMIT_PER_MINUTE", "3")
    # One fixed instant: the window cannot turn over between the requests.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_700_000_010.0))
    get_settings.cache_clear()
    token = {"Authorization": f"Bearer pxc_{uuid.uuid4().hex}"}  # a credential of its own
    with TestClient(create_app(get_settings())) as one, \
            TestClient(create_app(get_settings())) as two:  # fmt: skip
        codes = [app.get("/api/v1/users/me", headers=token).status_code
                 for app in (one, two, one, two, one)]  # fmt: skip
        limited = two.get("/api/v1/users/me", headers=token)

    assert codes == [401, 401, 401, 429, 429]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "30"  # the window ends 30 s after that instant
