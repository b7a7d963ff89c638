"""Fetch processes: exact per-host limits, no orphans, and a lost process costs only its rows."""

import asyncio
import json
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.config import Settings
from pixcrawler.records import Candidate
from pixcrawler.utility.logging_config import configure_logging
from support.images import make_jpeg
from support.server import FixtureServer, Response


def fetch_children() -> list[int]:
    """Fetch processes started by this test process and still running."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (NotADirectoryError, FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
        if parent.split()[1] == str(os.getpid()) and b"fetch._child" in cmdline:
            found.append(int(entry.name))
    return found


def _connected(pid: int, port: int) -> bool:
    """Whether the process holds a TCP connection to ``port`` on this host."""
    try:
        inodes = {
            os.readlink(fd)[len("socket:[") : -1]
            for fd in Path(f"/proc/{pid}/fd").iterdir()
            if os.readlink(fd).startswith("socket:[")
        }
        table = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in table:
        fields = line.split()
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if remote_port == port and fields[9] in inodes:
            return True
    return False


async def build(candidates: Iterable[Candidate], out: Path, **settings: Any) -> None:
    options = BuildOptions(validation_workers=0, processes=2, report=False, warm_start=False)
    writer = await build_dataset(candidates, out, Settings(**settings), options)
    writer.close()


def held_images(server: FixtureServer, name: str, n: int, gate: threading.Event) -> list[Candidate]:
    """Images whose bodies are held back until ``gate`` is set (headers go out at once)."""

    def held(picture: bytes) -> Response:
        def body() -> Iterator[bytes]:
            gate.wait(30)
            yield picture

        return Response(stream=body, chunked=True)

    return [
        Candidate(
            server.add_sequence(server.unique_path(f"{name}{i}.jpg"), [held(make_jpeg(7100 + i))]),
            "victim",
        )
        for i in range(n)
    ]


def slow_images(server: FixtureServer, name: str, n: int, delay: float) -> list[Candidate]:
    return [
        Candidate(
            server.add_sequence(
                server.unique_path(f"{name}{i}.jpg"),
                [Response(body=make_jpeg(7100 + i), delay=delay)],
            ),
            name,
        )
        for i in range(n)
    ]


def manifest(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_per_host_limit_holds_across_processes(tmp_path: Path) -> None:
    with FixtureServer() as own:  # its own server: no request of another test in flight
        candidates = slow_images(own, "polite", 12, delay=0.2)
        asyncio.run(build(candidates, tmp_path / "ds", per_host_concurrency=2, max_concurrency=8))
        assert own.peak_in_flight == 2
    assert sum(r["status"] == "kept" for r in manifest(tmp_path / "ds")) == 12
    assert fetch_children() == []


def test_a_killed_fetch_process_costs_only_its_rows(server: FixtureServer, tmp_path: Path) -> None:
    gate = threading.Event()
    candidates = held_images(server, "victim", 24, gate)
    out = tmp_path / "ds"

    async def kill_one_child_mid_build() -> None:
        # Bodies wait for the gate: a process connected to the server has a request in flight.
        while not (
            fetching := [
                p for p in fetch_children() if _connected(p, urlsplit(server.base_url).port or 80)
            ]
        ):
            await asyncio.sleep(0.02)
        os.kill(fetching[0], signal.SIGKILL)
        gate.set()

    async def scenario() -> None:
        await asyncio.gather(build(candidates, out, max_concurrency=8), kill_one_child_mid_build())

    asyncio.run(scenario())
    rows = manifest(out)
    assert [r["url"] for r in rows] == [c.url for c in candidates]  # every candidate has its row
    lost = [r for r in rows if r["status"] != "kept"]
    assert lost, "the killed process had requests in flight"
    assert {r["reason"] for r in lost} == {"internal error: fetch process exited"}
    assert len(lost) <= 8  # only what was in flight; the rest went to the surviving process
    asyncio.run(build(candidates, out, max_concurrency=8))  # the lost rows are retryable
    assert all(r["status"] == "kept" for r in manifest(out))
    assert fetch_children() == []


def test_fetch_processes_log_to_the_same_sink(
    server: FixtureServer, failure_modes: dict[str, str], tmp_path: Path
) -> None:
    log_file = tmp_path / "build.jsonl"
    configure_logging(level="DEBUG", fmt="json", sink=log_file)
    candidates = [Candidate(failure_modes[name], "x") for name in ("ok_1", "always_503")]
    asyncio.run(build(candidates, tmp_path / "ds"))
    records = [json.loads(line)["record"] for line in log_file.read_text().splitlines()]
    retries = [r for r in records if r["message"] == "transient error, retrying"]
    assert [r["extra"]["attempt"] for r in retries] == [1, 2]
    assert retries[0]["extra"]["url"] == failure_modes["always_503"]
    assert os.getpid() not in {r["process"]["id"] for r in retries}  # a fetch process logged them


def test_no_fetch_process_can_start_so_this_one_fetches(
    monkeypatch: pytest.MonkeyPatch, failure_modes: dict[str, str], tmp_path: Path
) -> None:
    async def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(asyncio, "create_subprocess_exec", refuse)
    candidates = [Candidate(failure_modes[name], "x") for name in ("ok_1", "ok_2", "not_found")]
    asyncio.run(build(candidates, tmp_path / "ds"))
    assert [r["status"] for r in manifest(tmp_path / "ds")] == ["kept", "kept", "download_failed"]
