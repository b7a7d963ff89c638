"""A worker on the embedded filesystem broker keeps every folder under ``PIXCRAWLER_DATA_DIR``."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from support.deployment import wait_for


def test_a_worker_started_elsewhere_creates_nothing_in_its_working_directory(
    tmp_path: Path,
) -> None:
    cwd, data = tmp_path / "cwd", tmp_path / "data"
    cwd.mkdir()
    env = {**os.environ, "PIXCRAWLER_DATA_DIR": str(data), "PIXCRAWLER_WATCHDOG_INTERVAL": "0"}
    for name in ("BROKER_URL", "RESULT_BACKEND", "DATABASE_URL", "STORAGE_URL"):
        env.pop(f"PIXCRAWLER_{name}", None)
    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pixcrawler", "worker", "--concurrency", "1"],
            cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        # The exchange tables are written when the worker binds its queues, before it is ready.
        wait_for("the worker to be ready", lambda: "ready" in log.read_text(), timeout=60)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert list((data / "broker" / "control").glob("*.exchange"))
    assert sorted(p.name for p in cwd.iterdir()) == []
