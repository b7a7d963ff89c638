"""`pixcrawler serve` as a real process on a free loopback port, for end-to-end tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``pixcrawler serve`` (and the worker it starts) until the block ends; yields its base
    URL once ``/readyz`` answers 200. Its stdout and stderr go to ``log_path``."""
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pixcrawler", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, proc, log_path)
            yield base
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)  # serve stops its worker on the way out
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):  # bounded: at least 60 s, polling; no timed assertion
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"serve did not get ready: {log.read_text()[-2000:]}")
