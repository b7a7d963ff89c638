"""A chunk whose worker dies under it every time: 3 deliveries, then it fails and the job goes on.

A real ``pixcrawler worker`` on Redis and PostgreSQL; the chunk's pool process is SIGKILLed
while its downloads are held (as the kernel's OOM killer would), every time it is delivered.
"""

import os
import signal
import threading
from pathlib import Path
from typing import Any

from pixcrawler.backend.db.chunks import WORKER_LOST
from support.deployment import Deployment, wait_for
from support.held_routes import sources, url_lists
from support.images import ImageSet
from support.server import FixtureServer


def test_a_chunk_that_kills_its_worker_fails_after_three_deliveries(
    deployment: Deployment, server: FixtureServer, images: ImageSet, gate: threading.Event,
    tmp_path: Path,
) -> None:  # fmt: skip
    poison = url_lists(server, images, tmp_path, "a", gate)  # held: the kill finds it busy
    healthy = url_lists(server, images, tmp_path, "b")  # a's pictures: a never stores them
    deployment.worker()
    job_id = deployment.submit(sources(tmp_path, {**poison, **healthy}))
    chunk = wait_for("the chunks", lambda: deployment.chunks(job_id))[0]
    task_id = f"{job_id}-chunk-{chunk.id}"
    killed: list[int] = []

    def new_delivery() -> dict[str, Any] | None:
        held = deployment.active_task(task_id)
        return held if held is not None and held["worker_pid"] not in killed else None

    for delivery in range(1, 4):
        info = wait_for(f"delivery {delivery}", new_delivery)
        wait_for("its downloads", lambda n=delivery: all(server.count(u) >= n for u in poison["a"]))
        os.kill(info["worker_pid"], signal.SIGKILL)
        killed.append(info["worker_pid"])

    deployment.wait_for_status(job_id, "failed")
    first, second = deployment.chunks(job_id)
    assert (first.status, first.error, first.attempts) == ("failed", WORKER_LOST, 3)
    assert [server.count(url) for url in poison["a"]] == [3, 3]  # never a 4th delivery
    assert second.status == "done"  # the job went on: the other chunk is stored and exported
    deployment.assert_nothing_lost_or_doubled(job_id, healthy["b"])
