"""``pixcrawler serve`` as a user starts it: a real process on a free loopback port, with its
embedded worker, every engine pointed at a local search world whose answers wait for a gate."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.query_routes import Query, QueryFixtureServer, QueryHandler
from support.server import Response

#: Seconds a held search answer waits at most (the crawler's read timeout is longer).
GATE_SECONDS = 15.0
START_SECONDS = 60.0


class GatedSearchServer(QueryFixtureServer):
    """A search-world server whose every handler answers only while ``gate`` is open."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()

    def add_handler(self, path: str, handler: QueryHandler) -> str:
        def held(query: Query) -> Response:
            self.gate.wait(GATE_SECONDS)
            return handler(query)

        return super().add_handler(path, held)


@dataclass(frozen=True)
class Service:
    """A running ``pixcrawler serve``: where it listens, its data dir and the admin key."""

    base_url: str
    data_dir: Path
    admin_key: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(data_dir: Path, engine_env: dict[str, str]) -> Iterator[Service]:
    """Start ``pixcrawler serve`` (and so its worker), read the printed key, stop both after."""
    port = _free_port()
    env = {
        **os.environ, **engine_env, "PIXCRAWLER_DATA_DIR": str(data_dir),
        "PIXCRAWLER_ALLOW_PRIVATE_NETWORK": "1", "PIXCRAWLER_RETRY_WAIT_SCALE": "0",
        "PIXCRAWLER_ENVIRONMENT": "test", "PIXCRAWLER_RATE_LIMIT_PER_MINUTE": "100000",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "pixcrawler", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=data_dir.parent,  # the embedded broker writes a ``control`` folder in the cwd
        start_new_session=True,  # its own group: stopping it stops the worker too
    )  # fmt: skip
    drain = threading.Thread(target=_drain, args=(process,), daemon=True)
    try:
        key = _admin_key(process)
        # Keep reading its output, so a chatty server never blocks on a full pipe.
        drain.start()
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(process, base_url)
        yield Service(base_url, data_dir, key)
    finally:
        _stop(process)
        if drain.is_alive():
            drain.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _ in process.stdout:
        pass


def _admin_key(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("admin API key: "):
            return line.removeprefix("admin API key: ").strip()
    raise AssertionError("pixcrawler serve printed no admin key:\n" + "".join(seen))


def _wait_until_serving(process: subprocess.Popen[str], base_url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pixcrawler serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"pixcrawler serve did not answer within {START_SECONDS:.0f} s")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _stop(process: subprocess.Popen[str]) -> None:
    # The worker runs in a process group of its own: note it, in case serve cannot stop it.
    groups = [process.pid, *_children(process.pid)]
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # uvicorn shuts down, then stops its worker
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    for group in groups:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)  # whatever of it is left
    process.wait()
