"""A test deployment: private redis-server, TCP proxy, worker processes, held image routes.

Used by the reliability and job-control tests; every process it starts, it stops.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from celery import Celery
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError
from sqlalchemy import select

from pixcrawler.backend.db.jobs import job_progress
from pixcrawler.backend.db.models import Chunk, Image
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed import submit_job
from pixcrawler.backend.distributed._context import JobContext, make_context
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.celery_app import create_app
from pixcrawler.config import Settings
from support.services import REQUIRE_SERVICES_ENV


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class JobStatusTimeout(AssertionError):
    """The job did not reach the awaited status in time."""


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """``condition()``'s first truthy value, polled every 50 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisServer:
    """A private ``redis-server``; without persistence a kill loses everything it held, with it
    (an append-only file synced at every write, as production should run) nothing."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.persistent = False
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it accepts connections."""
        self.folder.mkdir(exist_ok=True)
        binary = shutil.which("redis-server") or "redis-server"
        durability = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else []
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", *durability, "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for("redis-server", self._answers, timeout=10)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def _answers(self) -> bool:
        with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
        return False


class TcpProxy:
    """127.0.0.1:<port> → ``upstream``; ``outage()`` cuts every connection and refuses new ones."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = int(self.listener.getsockname()[1])
        self.down = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept)

    @contextmanager
    def outage(self) -> Iterator[None]:
        """The database is unreachable inside the block."""
        self.down.set()
        self._cut()
        try:
            yield
        finally:
            self.down.clear()

    def close(self) -> None:
        self._closed.set()
        self._cut()
        for thread in self._threads:
            thread.join(timeout=5)
        self.listener.close()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            if self.down.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            self._spawn(self._pump, client, server)
            self._spawn(self._pump, server, client)

    def _pump(self, source: socket.socket, dest: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                dest.sendall(data)
        for sock in (source, dest):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            for sock in (source, dest):
                if sock in self._sockets:
                    self._sockets.discard(sock)
                    sock.close()

    def _cut(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Worker:
    """A ``pixcrawler worker`` subprocess in its own process group."""

    def __init__(self, env: dict[str, str], log: Path, concurrency: int = 2) -> None:
        self.log = log
        with log.open("w") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pixcrawler", "worker", "--concurrency", str(concurrency)],
                env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool children, with no goodbye."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def records(self) -> list[dict[str, Any]]:
        """The worker's JSON log records."""
        lines = self.log.read_text().splitlines()
        return [json.loads(line)["record"] for line in lines if line.startswith("{")]


@dataclass
class Deployment:
    """Broker, job database, storage and workers of one test, plus a client's view of them."""

    env: dict[str, str]
    ctx: JobContext
    celery: Celery
    root: Path
    redis: RedisServer
    workers: list[Worker] = field(default_factory=list)

    def worker(self, concurrency: int = 2, **env: str) -> Worker:
        log = self.root / f"worker-{len(self.workers) + 1}.log"
        started = Worker({**self.env, **env}, log, concurrency)
        self.workers.append(started)
        return started

    def submit(self, sources: list[Path]) -> str:
        """Record a URL-list job (one chunk per file) and send its planning task."""
        job_id = self.record(sources)
        self.plan(job_id)
        return job_id

    def record(self, sources: list[Path]) -> str:
        """Record a URL-list job, one chunk per file, without starting it."""
        return submit_job(self.ctx, JobSpec(kind=JobKind.URL_LIST), sources)

    def plan(self, job_id: str) -> None:
        """Send the job's planning task, as ``build --distributed`` does."""
        self.celery.send_task("pixcrawler.builder.tasks.plan_job", kwargs={"job_id": job_id})

    def storage_path(self, key: str) -> Path:
        """Where ``key`` lives in the deployment's (local) storage."""
        return self.root / "storage" / key

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``pixcrawler *args`` as a user would (warnings and errors only on stderr)."""
        return subprocess.run(
            [sys.executable, "-m", "pixcrawler", *args],
            env={**self.env, "PIXCRAWLER_LOG_LEVEL": "WARNING"},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    def status(self, job_id: str) -> str:
        with session_scope(self.ctx.sessions) as session:
            return job_progress(session, job_id=job_id).status

    def chunks(self, job_id: str) -> list[Chunk]:
        with session_scope(self.ctx.sessions) as session:
            statement = select(Chunk).where(Chunk.job_id == job_id).order_by(Chunk.index)
            return list(session.scalars(statement))

    def wait_for_status(self, job_id: str, status: str, timeout: float = 30.0) -> None:
        def reached() -> bool:
            return self.status(job_id) == status

        try:
            wait_for(f"job {status}", reached, timeout)
        except AssertionError:
            logs = "\n".join(w.log.read_text()[-3000:] for w in self.workers)
            message = f"job is {self.status(job_id)}, not {status}\n{logs}"
            raise JobStatusTimeout(message) from None

    def wait_for_worker(self) -> None:
        """Until a worker answers a ping: it is connected and consuming."""

        def answered() -> bool:
            try:
                return bool(self.celery.control.ping(timeout=0.3))
            except (OperationalError, RedisError, OSError):  # our own connection, being redone
                return False

        wait_for("a worker to answer", answered)

    def active_task(self, task_id: str) -> dict[str, Any] | None:
        """The worker's view of ``task_id`` while it is active (with ``worker_pid``), else None."""
        replies = self.celery.control.inspect(timeout=0.3).query_task(task_id) or {}
        for held in replies.values():
            state, info = held.get(task_id, (None, None))
            if state == "active" and info.get("worker_pid"):
                return dict(info)
        return None

    def assert_nothing_lost_or_doubled(self, job_id: str, urls: list[str]) -> None:
        """Every URL kept once: one row each, one stored file each, counted once."""
        with session_scope(self.ctx.sessions) as session:
            rows = session.execute(
                select(Image.url, Image.status, Image.file_key).where(Image.job_id == job_id)
            ).all()
            kept = job_progress(session, job_id=job_id).kept
        assert sorted(row.url for row in rows) == sorted(urls)
        assert {row.status for row in rows} == {"kept"}
        assert kept == len(urls)
        files = list(self.ctx.storage.list(f"jobs/{job_id}/dataset/images/"))
        assert sorted(files) == sorted(row.file_key for row in rows)
        manifest = self.ctx.storage.get(f"jobs/{job_id}/dataset/manifest.jsonl").decode()
        listed = [json.loads(line) for line in manifest.splitlines()]
        assert sorted(row["url"] for row in listed) == sorted(urls)

    def assert_nothing_stored(self, job_id: str) -> None:
        """No image row, no counted image and no stored image for the job."""
        with session_scope(self.ctx.sessions) as session:
            rows = session.scalars(select(Image.id).where(Image.job_id == job_id)).all()
            progress = job_progress(session, job_id=job_id)
        assert rows == []
        assert (progress.candidates, progress.kept) == (0, 0)
        assert list(self.ctx.storage.list(f"jobs/{job_id}/dataset/")) == []


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server for this test, killed afterwards."""
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed"
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_SERVICES_ENV}=1 requires it", pytrace=False)
        pytest.skip(reason)
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def schema_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a schema of this test's own, dropped afterwards."""
    schema = f"test_reliability_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{postgres_url}?options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def deployment(redis_server: RedisServer, schema_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """Workers are started by the test; all of them are stopped (or killed) afterwards."""
    settings = Settings(
        database_url=schema_url, broker_url=redis_server.url, result_backend=redis_server.url,
        storage_url=(tmp_path / "storage").as_uri(), data_dir=tmp_path / "client",
    )  # fmt: skip
    env = {
        **os.environ,
        "PIXCRAWLER_BROKER_URL": redis_server.url,
        "PIXCRAWLER_RESULT_BACKEND": redis_server.url,
        "PIXCRAWLER_DATABASE_URL": schema_url,
        "PIXCRAWLER_STORAGE_URL": settings.storage_url,
        "PIXCRAWLER_DATA_DIR": str(tmp_path / "worker"),
        "PIXCRAWLER_LOG_FORMAT": "json",
        "PIXCRAWLER_LOG_LEVEL": "INFO",
        "PIXCRAWLER_TASK_RETRY_COUNTDOWN": "1",
    }
    ctx = make_context(settings)
    celery = create_app(settings)
    running = Deployment(env, ctx, celery, tmp_path, redis_server)
    try:
        yield running
    finally:
        for started in running.workers:
            started.stop()
        celery.close()
        ctx.sessions.kw["bind"].dispose()


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Held images are sent once it is set; set at the end, so no server thread waits on."""
    event = threading.Event()
    yield event
    event.set()
