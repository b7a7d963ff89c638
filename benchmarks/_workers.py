"""Celery workers for a benchmark: Redis and PostgreSQL set up, workers started, pinged, stopped."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

REDIS_URL = "redis://127.0.0.1:6379"
#: A Redis database of the benchmark's own (the tests use 11), flushed before and after.
REDIS_DB = 12
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
#: Seconds a worker gets to finish after SIGTERM before its process group is killed.
STOP_GRACE = 30.0


def missing_services() -> list[str]:
    """The servers a distributed run needs that do not accept connections."""
    missing = []
    for name, port in (("Redis", 6379), ("PostgreSQL", 5432)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            missing.append(f"{name} on 127.0.0.1:{port}")
    return missing


@contextmanager
def job_services(scratch: Path) -> Iterator[dict[str, str]]:
    """The environment of a distributed job: a flushed Redis db, a fresh schema, file storage.

    The schema is dropped and the Redis database flushed again on the way out.
    """
    import psycopg
    import redis

    broker = f"{REDIS_URL}/{REDIS_DB}"
    schema = f"bench_distributed_{uuid.uuid4().hex[:8]}"
    queue = redis.Redis.from_url(broker)
    queue.flushdb()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {
            "PIXCRAWLER_BROKER_URL": broker,
            "PIXCRAWLER_RESULT_BACKEND": broker,
            "PIXCRAWLER_DATABASE_URL": f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}",
            "PIXCRAWLER_STORAGE_URL": (scratch / "storage").as_uri(),
            "PIXCRAWLER_ALLOW_PRIVATE_NETWORK": "1",
            # JSON lines carry exact timestamps: the phases of a job are read from them.
            "PIXCRAWLER_LOG_FORMAT": "json",
        }
    finally:
        queue.flushdb()
        queue.close()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass(frozen=True)
class Worker:
    """One ``pixcrawler worker`` process group and its log."""

    number: int
    process: subprocess.Popen[bytes]
    log: Path

    def records(self, message: str, since: float = 0.0) -> list[dict[str, Any]]:
        """This worker's JSON log records with ``message``, logged at or after ``since``."""
        return [
            record
            for record in read_records(self.log)
            if record["message"] == message and record["time"]["timestamp"] >= since
        ]

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def read_records(log: Path) -> Iterator[dict[str, Any]]:
    """The loguru records of a JSON-lines log; other lines (Celery's banner) are skipped."""
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.startswith("{"):
                try:
                    yield json.loads(line)["record"]
                except (ValueError, KeyError):
                    continue


@contextmanager
def running_workers(
    count: int, concurrency: int, env: dict[str, str], scratch: Path, executable: Path
) -> Iterator[list[Worker]]:
    """``count`` workers, each ``--concurrency 1`` with ``concurrency`` downloads in flight.

    Each has its own data directory, as on its own machine; storage, broker and database are
    shared through ``env``. Every worker's process group is stopped on the way out.
    """
    workers = []
    try:
        for number in range(1, count + 1):
            workers.append(_start(number, concurrency, env, scratch, executable))
        yield workers
    finally:
        stop_workers(workers)


def _start(
    number: int, concurrency: int, env: dict[str, str], scratch: Path, executable: Path
) -> Worker:
    own = {
        "PIXCRAWLER_DATA_DIR": str(scratch / f"worker-{number}-data"),
        "PIXCRAWLER_MAX_CONCURRENCY": str(concurrency),
        "PIXCRAWLER_PER_HOST_CONCURRENCY": str(concurrency),
    }
    log = scratch / f"worker-{number}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(executable), "worker", "--concurrency", "1"],
            env={**os.environ, **env, **own}, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the prefork child stops with it
        )  # fmt: skip
    return Worker(number, process, log)


def stop_workers(workers: list[Worker]) -> None:
    """SIGTERM every worker's process group, then SIGKILL those still there after the grace."""
    for worker in workers:
        _signal_group(worker, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(worker, signal.SIGKILL)
            worker.process.wait()
        _signal_group(worker, signal.SIGKILL)  # a prefork child left behind, if any


def _signal_group(worker: Worker, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(worker.process.pid, signum)


def wait_until_ready(workers: list[Worker], broker: str, timeout: float = 120.0) -> float:
    """Seconds until every worker answers a Celery ping.

    The workers share one node name (``pixcrawler worker`` takes no ``-n``), so replies are
    counted, not named: Redis delivers the broadcast to every worker that listens.

    Raises:
        RuntimeError: a worker exited, or not all answered within ``timeout``.
    """
    from celery import Celery

    started = time.monotonic()
    app = Celery("benchmark-ping", broker=broker)
    try:
        while time.monotonic() - started < timeout:
            for worker in workers:
                if worker.process.poll() is not None:
                    raise RuntimeError(f"worker {worker.number} exited:\n{worker.tail()}")
            replies = app.control.ping(timeout=1.0)
            if len(replies) >= len(workers):
                return time.monotonic() - started
        raise RuntimeError(f"{len(workers)} workers did not all answer within {timeout:.0f} s")
    finally:
        app.close()
