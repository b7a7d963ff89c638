"""A real Celery worker on Redis and PostgreSQL runs a job the CLI submits, as in production."""

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis

from support.server import FixtureServer

REDIS_DB = 11  # a database of its own, flushed before and after


@pytest.fixture
def services_env(redis_url: str, postgres_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    schema = f"test_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    broker = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()
    env = {
        **os.environ,
        "PIXCRAWLER_BROKER_URL": broker,
        "PIXCRAWLER_RESULT_BACKEND": broker,
        "PIXCRAWLER_DATABASE_URL": f"{postgres_url}?options={quote(f'-csearch_path={schema}')}",
        "PIXCRAWLER_STORAGE_URL": (tmp_path / "storage").as_uri(),
        "PIXCRAWLER_DATA_DIR": str(tmp_path / "data"),
        "PIXCRAWLER_LOG_FORMAT": "json",
        "PIXCRAWLER_LOG_LEVEL": "DEBUG",
    }
    yield env
    redis.Redis.from_url(broker).flushdb()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def running_worker(env: dict[str, str], log: Path) -> Iterator[Path]:
    """A ``pixcrawler worker`` subprocess, stopped (its whole process group) afterwards."""
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pixcrawler", "worker", "--concurrency", "2"],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def worker(services_env: dict[str, str], tmp_path: Path) -> Iterator[Path]:
    with running_worker(services_env, tmp_path / "worker.log") as log:
        yield log


def test_job_on_the_embedded_default(
    server: FixtureServer, failure_modes: dict[str, str], tmp_path: Path
) -> None:
    """No server to install: filesystem broker, SQLite database and results, local storage."""
    env = {**os.environ, "PIXCRAWLER_DATA_DIR": str(tmp_path / "data")}
    for name in ("BROKER_URL", "RESULT_BACKEND", "DATABASE_URL", "STORAGE_URL"):
        env.pop(f"PIXCRAWLER_{name}", None)
    (tmp_path / "a.txt").write_text(failure_modes["ok_1"] + "\n" + failure_modes["ok_2"] + "\n")
    with running_worker(env, tmp_path / "worker.log"):
        result = subprocess.run(
            [sys.executable, "-m", "pixcrawler", "build", "--distributed", "-s", "a.txt",
             "-o", "out", "-q"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list((tmp_path / "out" / "images" / "a").glob("*.jpg"))) == 2
    assert (tmp_path / "data" / "pixcrawler.sqlite").is_file()


def test_job_on_redis_and_postgres_retries_network_errors_once(
    services_env: dict[str, str], worker: Path, server: FixtureServer,
    failure_modes: dict[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    names = ["ok_1", "ok_2", "flaky_503", "always_503", "not_found", "exact_dup"]
    (tmp_path / "pets.txt").write_text("\n".join(failure_modes[n] for n in names) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "build", "--distributed", "-s", "pets.txt",
         "-o", "out", "-q"],
        cwd=tmp_path, env=services_env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:] + worker.read_text()[-3000:]
    lines = (tmp_path / "out/manifest.jsonl").read_text().splitlines()
    rows = {r["url"]: r for r in map(json.loads, lines)}
    assert rows[failure_modes["ok_2"]]["status"] == "kept"
    assert rows[failure_modes["flaky_503"]]["status"] == "kept"
    assert rows[failure_modes["always_503"]]["reason"] == "http 503"
    # ok_1 and exact_dup are the same bytes: whichever came first is kept, the other not.
    pair = sorted(rows[failure_modes[n]]["status"] for n in ("ok_1", "exact_dup"))
    assert pair == ["duplicate", "kept"]
    # One retry layer: Tenacity's 3 attempts, no task-level retry on top (never 9).
    assert server.count(failure_modes["always_503"]) == 3
    assert server.count(failure_modes["not_found"]) == 1
    records = [
        json.loads(x)["record"] for x in worker.read_text().splitlines() if x.startswith("{")
    ]
    retries = [r["extra"] for r in records if r["message"] == "transient error, retrying"]
    mine = [r for r in retries if r.get("url") == failure_modes["always_503"]]
    assert [r["attempt"] for r in mine] == [1, 2]
    assert all(r.get("job_id") for r in mine)  # every retry line names its job
