"""End to end: `pixcrawler serve` as a real process (uvicorn on a free loopback port, its own
worker on the embedded broker) over PostgreSQL, driven through the Python client."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from api.conftest import JWT_SECRET, SUPABASE_URL, supabase_token
from pixcrawler.client import Client
from support.deployment import schema_url  # noqa: F401 - the fixture
from support.search_world import SearchWorld

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path, schema_url: str, world: SearchWorld) -> Iterator[str]:  # noqa: F811
    """``pixcrawler serve`` on a free port; stopped (with its worker) afterwards."""
    world.install(["openverse"], images_per_query=6, pages=1)
    port = _free_port()
    env = {**os.environ, **world.base_urls(),
           "PIXCRAWLER_DATABASE_URL": schema_url, "PIXCRAWLER_DATA_DIR": str(tmp_path / "data"),
           "PIXCRAWLER_SUPABASE_URL": SUPABASE_URL, "PIXCRAWLER_SUPABASE_JWT_SECRET": JWT_SECRET,
           "PIXCRAWLER_WATCHDOG_INTERVAL": "0"}  # fmt: skip
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pixcrawler", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, tmp_path / "serve.log")
        yield base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)  # serve stops its worker on the way out
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):  # bounded: 60 s
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"serve did not get ready: {log.read_text()[-2000:]}")


def test_a_signed_in_user_gets_a_reviewed_dataset_through_the_api(
    service: str, tmp_path: Path
) -> None:
    token = supabase_token("e2e-user")
    with Client(service, token) as client:
        job = client.create_job({"kind": "keywords", "keywords": ["red fox"],
                                 "engines": ["openverse"], "per_class": 4})  # fmt: skip
        events = list(client.follow(job["id"]))
        assert events[-1] == {"event": "end", "status": "completed"}
        assert any(e["event"] == "progress" and e.get("classes") for e in events)

        kept = list(client.list_images(job["id"], status="kept"))
        assert len(kept) == 4
        victim = kept[0]
        client.reject(job["id"], victim["id"])
        archive = client.download(job["id"], tmp_path / "out", extract=False)

    members = zipfile.ZipFile(io.BytesIO(archive.read_bytes())).namelist()
    images = [m for m in members if "/images/" in m]
    assert len(images) == 3
    assert not any(m.endswith(victim["file_key"].rsplit("/", 1)[-1]) for m in members)
