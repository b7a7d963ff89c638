"""Distributed jobs survive killed workers, a Redis restart and an unreachable database.

Real ``pixcrawler worker`` subprocesses run on PostgreSQL and on a private ``redis-server`` started
per test (the shared Redis on 6379 is never restarted). Their images come from fixture-server
routes that hold the body back until the test opens a gate, so a chunk is mid-download when the
trouble starts, however slow the machine. Every test then checks that no image is lost (each URL
has its row and its file) and none is stored twice.
"""

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from support.deployment import Deployment, RedisServer, TcpProxy, Worker, wait_for
from support.held_routes import all_urls, downloading, sources, url_lists
from support.images import ImageSet
from support.server import FixtureServer


def test_killed_pool_process_requeues_its_chunk(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """kill -9 of the pool child running a chunk: the worker requeues it, the job completes."""
    lists = url_lists(server, images, tmp_path, "a", gate)
    deployment.worker()
    job_id = deployment.submit(sources(tmp_path, lists))
    (chunk,) = wait_for("the chunk", lambda: deployment.chunks(job_id))
    task_id = f"{job_id}-chunk-{chunk.id}"
    info = wait_for("the chunk task to run", lambda: deployment.active_task(task_id))
    wait_for("its downloads", downloading(server, lists["a"]))
    os.kill(info["worker_pid"], signal.SIGKILL)
    gate.set()

    deployment.wait_for_status(job_id, "completed")
    deployment.assert_nothing_lost_or_doubled(job_id, lists["a"])
    (chunk,) = deployment.chunks(job_id)
    assert (chunk.status, chunk.attempts) == ("done", 2)  # the same task id, delivered again
    assert [server.count(url) for url in lists["a"]] == [2, 2]


def test_job_resumes_after_the_whole_worker_was_killed(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """kill -9 of every worker process mid-chunk; a new worker and ``jobs resume`` finish it.

    The dead worker's unacknowledged tasks would come back only after Redis's visibility
    timeout (50 minutes); ``resume`` sends them again at once.
    """
    lists = url_lists(server, images, tmp_path, "ab", gate)
    first = deployment.worker()
    job_id = deployment.submit(sources(tmp_path, lists))
    wait_for("both chunks downloading", downloading(server, all_urls(lists)))
    first.kill()
    gate.set()
    assert {chunk.status for chunk in deployment.chunks(job_id)} == {"running"}

    deployment.worker()
    deployment.wait_for_worker()
    resumed = deployment.cli("jobs", "resume", job_id)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == f"job {job_id}: 2 chunks sent again, 0 held by live workers\n"

    deployment.wait_for_status(job_id, "completed")
    deployment.assert_nothing_lost_or_doubled(job_id, all_urls(lists))
    assert [c.attempts for c in deployment.chunks(job_id)] == [2, 2]


def _restart_redis_mid_job(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path, release: bool = True,
) -> tuple[str, list[str]]:  # fmt: skip
    """Both chunks mid-download, Redis is killed and started again on its port; the chunks get
    their images once the worker is connected again (unless ``release`` is False)."""
    lists = url_lists(server, images, tmp_path, "ab", gate)
    deployment.worker()
    job_id = deployment.submit(sources(tmp_path, lists))
    wait_for("both chunks downloading", downloading(server, all_urls(lists)))
    deployment.redis.kill()
    time.sleep(0.5)
    deployment.redis.start()
    deployment.wait_for_worker()
    if release:
        gate.set()
    return job_id, all_urls(lists)


def test_resume_after_a_redis_restart_leaves_held_chunks_alone(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """The worker reconnects still running both chunks: ``resume`` sends nothing again."""
    job_id, urls = _restart_redis_mid_job(deployment, server, images, gate, tmp_path, False)
    resumed = deployment.cli("jobs", "resume", job_id)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == f"job {job_id}: 0 chunks sent again, 2 held by live workers\n"
    gate.set()
    deployment.wait_for_status(job_id, "completed")
    deployment.assert_nothing_lost_or_doubled(job_id, urls)
    assert [c.attempts for c in deployment.chunks(job_id)] == [1, 1]  # nothing ran twice


def test_job_completes_by_itself_after_a_redis_restart(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Without persistence Redis forgets everything, but the job database is the truth: the
    chunk that settles last sends the finalize, so no one has to resume the job."""
    job_id, urls = _restart_redis_mid_job(deployment, server, images, gate, tmp_path)

    def chunks_done() -> bool:
        return {chunk.status for chunk in deployment.chunks(job_id)} == {"done"}

    wait_for("the chunks to finish", chunks_done)
    deployment.wait_for_status(job_id, "completed", timeout=5)
    deployment.assert_nothing_lost_or_doubled(job_id, urls)
    assert [c.attempts for c in deployment.chunks(job_id)] == [1, 1]


def test_watchdog_sends_again_a_chunk_lost_from_the_queue(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """One worker slot: chunk a is mid-download, b waits in Redis, which restarts empty; b's
    message is gone. Once the job is idle, the crawl queue empty and b held by no worker, the
    worker's watchdog sends b again, and the job completes by itself."""
    lists = url_lists(server, images, tmp_path, "ab", gate)
    worker = deployment.worker(
        concurrency=1, PIXCRAWLER_WATCHDOG_INTERVAL="0.5", PIXCRAWLER_JOB_STALL_SECONDS="2"
    )
    job_id = deployment.submit(sources(tmp_path, lists))
    wait_for("chunk a downloading", downloading(server, lists["a"]))
    time.sleep(2.5)  # idle past the stall time: b is queued, so the watchdog leaves it there
    deployment.redis.kill()
    time.sleep(0.5)
    deployment.redis.start()
    deployment.wait_for_worker()
    gate.set()

    deployment.wait_for_status(job_id, "completed")
    deployment.assert_nothing_lost_or_doubled(job_id, all_urls(lists))
    assert [c.attempts for c in deployment.chunks(job_id)] == [1, 1]
    sent = [r["extra"] for r in worker.records() if r["message"] == "stalled job sent again"]
    assert [(r["job_id"], r["dispatched"], r["held"]) for r in sent] == [(job_id, 1, 0)]


def test_job_completes_by_itself_after_a_persistent_redis_restart(
    redis_server: RedisServer, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path, request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    """With an append-only file, Redis comes back with its queues: nothing is lost at all."""
    redis_server.kill()  # the fixture's Redis, started again with persistence before any use
    redis_server.persistent = True
    redis_server.start()
    deployment = request.getfixturevalue("deployment")
    job_id, urls = _restart_redis_mid_job(deployment, server, images, gate, tmp_path)
    deployment.wait_for_status(job_id, "completed")
    deployment.assert_nothing_lost_or_doubled(job_id, urls)


def test_tasks_retry_while_the_database_is_unreachable(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    """A database outage hits both chunks as they finish downloading: their tasks retry
    (countdown 1 s, at most 3 times) until it is back, and the job completes."""
    lists = url_lists(server, images, tmp_path, "ab", gate)
    proxy = TcpProxy(("127.0.0.1", 5432))
    try:
        proxied = deployment.env["PIXCRAWLER_DATABASE_URL"].replace(":5432/", f":{proxy.port}/")
        worker = deployment.worker(PIXCRAWLER_DATABASE_URL=proxied)
        job_id = deployment.submit(sources(tmp_path, lists))
        wait_for("both chunks downloading", downloading(server, all_urls(lists)))
        with proxy.outage():
            gate.set()  # the chunks store their results now, and the first attempt fails
            # The outage lasts until both chunks' tasks have retried, however slow the machine.
            wait_for("both tasks to retry", lambda: len(_retried_chunks(worker)) == 2, timeout=90)
        deployment.wait_for_status(job_id, "completed")
    finally:
        proxy.close()
    deployment.assert_nothing_lost_or_doubled(job_id, all_urls(lists))
    retries = _retries(worker)
    assert retries, "no task retried"
    assert {r["error_type"] for r in retries} == {"DatabaseConnectionError"}
    assert {r["job_id"] for r in retries} == {job_id}
    assert {r["task"] for r in retries} == {"pixcrawler.builder.tasks.download_chunk"}
    assert all(1 <= r["retry_count"] <= 3 for r in retries)
    assert all(chunk.attempts >= 2 for chunk in deployment.chunks(job_id))


def _retries(worker: Worker) -> list[dict[str, Any]]:
    """The worker's "retrying the task" records so far (a line being written is skipped)."""
    found = []
    for line in worker.log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)["record"]
        except ValueError:
            continue
        if record["message"] == "infrastructure failure; retrying the task":
            found.append(record["extra"])
    return found


def _retried_chunks(worker: Worker) -> set[int]:
    return {record["resource_id"] for record in _retries(worker)}
