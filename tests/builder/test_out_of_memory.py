"""Out of memory is infrastructure: it stops the build (a task retries it), never becomes a row.

In a fetch process the MemoryError is real: the child's address space is capped (``prlimit``)
before it is sent an image body larger than the cap. In this process it is raised by the
downloader for one URL. Either way the build stops at once, raises ``MemoryError``, and leaves
a consistent dataset: the manifest lists what was settled, and a rerun resumes.
"""

import asyncio
import json
import resource
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_fetch_processes import fetch_children
from typer.testing import CliRunner

from pixcrawler.builder._downloader import Downloader
from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.builder.fetch import FetchConfig, FetchPool
from pixcrawler.builder.fetch._image import Fetched
from pixcrawler.cli import app
from pixcrawler.config import Settings
from pixcrawler.records import Candidate, Download
from pixcrawler.validator.levels import ValidationProfile
from support.images import ImageSet
from support.server import FixtureServer, Response

HEADROOM = 96 * 1024 * 1024  # address space a capped fetch process may still take
BODY_CHUNK = b"\xff\xd8\xff\xe0" + bytes(1024 * 1024 - 4)  # a JPEG's first bytes, then zeros


def _manifest(out: Path) -> list[dict[str, Any]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _images(server: FixtureServer, images: ImageSet, n: int) -> list[Candidate]:
    return [
        Candidate(server.add(server.unique_path(f"ok{i}.jpg"), images.jpegs[i]), "ok")
        for i in range(n)
    ]


def test_memory_error_in_this_process_stops_the_build_and_keeps_the_dataset(
    server: FixtureServer, images: ImageSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidates = _images(server, images, 12)
    exhausted = candidates[3].url
    original = Downloader.fetch

    async def fetch(self: Downloader, url: str) -> Download:
        if url == exhausted:
            raise MemoryError("simulated")
        return await original(self, url)

    monkeypatch.setattr(Downloader, "fetch", fetch)
    options = BuildOptions(validation_workers=0, processes=1, report=False)
    settings = Settings(max_concurrency=1)

    with pytest.raises(MemoryError):
        asyncio.run(build_dataset(candidates, tmp_path / "out", settings, options))

    rows = _manifest(tmp_path / "out")
    assert [row["url"] for row in rows] == [c.url for c in candidates[:3]]  # no "oom" row
    assert {row["status"] for row in rows} == {"kept"}
    fetched = sum(server.count(c.url) for c in candidates)
    assert fetched <= 3 + 2  # stopped at once: at most the queue's next item was fetched

    monkeypatch.setattr(Downloader, "fetch", original)  # memory is back: a rerun resumes
    writer = asyncio.run(build_dataset(candidates, tmp_path / "out", settings, options))
    writer.close()
    assert len(_manifest(tmp_path / "out")) == 12


def _huge_body(gate: threading.Event) -> Iterator[bytes]:
    gate.wait(30)  # until the fetch processes are capped
    for _ in range(1024):  # 1 GiB, far above the cap; the client stops reading long before
        yield BODY_CHUNK


class _NoFallback:
    """The pool's in-process fetcher: never used here, every request goes to a child."""

    async def fetch(self, url: str) -> Fetched:
        raise AssertionError(f"fetched {url} in the parent")


def _cap(pid: int) -> None:
    """Cap the process's address space a little above what it uses now."""
    status = Path(f"/proc/{pid}/status").read_text()
    size_kb = int(next(ln for ln in status.splitlines() if ln.startswith("VmSize:")).split()[1])
    cap = size_kb * 1024 + HEADROOM
    resource.prlimit(pid, resource.RLIMIT_AS, (cap, cap))


def test_memory_error_in_a_fetch_process_is_raised_in_the_parent(
    server: FixtureServer, tmp_path: Path
) -> None:
    """A real MemoryError in the child reaches the caller, which is the build (previous test)."""
    gate = threading.Event()
    huge = server.add_sequence(
        server.unique_path("huge.jpg"), [Response(stream=lambda: _huge_body(gate), chunked=True)]
    )
    settings = Settings(max_concurrency=1, max_bytes=2 * 1024**3)
    config = FetchConfig(settings, ValidationProfile.from_settings(settings, None), None)

    async def run() -> None:
        async with FetchPool(config, 1, _NoFallback(), warm_start=False) as pool:
            await pool._pick()  # waits until the fetch process is ready (imports done)
            (child,) = pool._children
            _cap(child.process.pid)
            gate.set()
            await pool.fetch(huge)

    try:
        with pytest.raises(MemoryError, match="fetch process"):
            asyncio.run(run())
    finally:
        gate.set()
    assert fetch_children() == []  # stopped as usual, none left behind


def test_a_local_build_out_of_memory_is_one_clear_line_and_a_consistent_folder(
    server: FixtureServer, images: ImageSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidates = _images(server, images, 4)
    original = Downloader.fetch

    async def fetch(self: Downloader, url: str) -> Download:
        if url == candidates[2].url:
            raise MemoryError
        return await original(self, url)

    monkeypatch.setattr(Downloader, "fetch", fetch)
    (tmp_path / "urls.txt").write_text("\n".join(c.url for c in candidates) + "\n")
    out = tmp_path / "ds"
    args = ["build", "-s", str(tmp_path / "urls.txt"), "-o", str(out), "-q"]
    options = ["--processes", "1", "--concurrency", "1"]
    result = CliRunner().invoke(app, ["--log-level", "ERROR", *args, *options])

    assert result.exit_code == 2
    message = " ".join(result.output.split())  # the console wraps long lines
    assert message.startswith("error: out of memory; ")
    assert "rerun the same command to resume" in message and "Traceback" not in message
    assert [row["url"] for row in _manifest(out)] == [c.url for c in candidates[:2]]
