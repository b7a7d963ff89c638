"""kill -9 of a build's process group at any moment, then a rerun: files and rows agree.

The build runs in its own process group through a wrapper that SIGKILLs the group at a chosen
point (after N recorded rows, or inside an image write), so every kill lands where the test says.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.images import make_jpeg
from support.server import FixtureServer

# Kills the whole group (the build and its fetch processes) at the point KILL_MODE/KILL_AT name.
KILLER = """
import os, signal, sys
from pixcrawler.builder import _generator

mode, at = os.environ["KILL_MODE"], int(os.environ["KILL_AT"])
seen = {"rows": 0, "writes": 0}

def kill():
    os.killpg(0, signal.SIGKILL)

record = _generator.DatasetWriter.record
def counting_record(self, *args, **kwargs):
    record(self, *args, **kwargs)
    seen["rows"] += 1
    if mode == "rows" and seen["rows"] >= at:
        kill()
_generator.DatasetWriter.record = counting_record

write = _generator._write_image
def killing_write(target, download, info):
    seen["writes"] += 1
    if mode == "part" and seen["writes"] >= at:
        target.with_name(target.name + ".part").write_bytes(download.content[:100])
        kill()
    write(target, download, info)
    if mode == "written" and seen["writes"] >= at:
        kill()  # the file is in place, its row not yet recorded
_generator._write_image = killing_write

from pixcrawler.cli import main
sys.argv = ["pixcrawler", *sys.argv[1:]]
main()
"""


def _build(tmp_path: Path, *, mode: str = "rows", at: int = 10**9) -> int:
    env = {**os.environ, "KILL_MODE": mode, "KILL_AT": str(at)}
    args = [sys.executable, "-c", KILLER, "build", "-s", "list.txt", "-o", "ds", "-q",
            "--concurrency", "4", "--processes", "2"]  # fmt: skip
    result = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
        start_new_session=True, check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result.returncode


def _consistent(out: Path) -> tuple[set[str], set[str]]:
    rows = [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]
    described = {str(row["file_name"]) for row in rows}
    on_disk = {p.relative_to(out).as_posix() for p in (out / "images").rglob("*") if p.is_file()}
    return described, on_disk


@pytest.mark.parametrize(("mode", "at"), [("rows", 1), ("rows", 9), ("rows", 25), ("written", 3),
                                          ("part", 5)])  # fmt: skip
def test_every_file_has_its_row_after_kill_9_and_a_rerun_that_finds_only_404s(
    server: FixtureServer, tmp_path: Path, mode: str, at: int
) -> None:
    urls = [server.add(f"/k/{i}.jpg", make_jpeg(4200 + i)) for i in range(30)]
    urls += [server.url(f"/missing/{i}.jpg") for i in range(4)]
    (tmp_path / "list.txt").write_text("\n".join(urls) + "\n")

    assert _build(tmp_path, mode=mode, at=at) == -signal.SIGKILL
    out = tmp_path / "ds"
    assert list((out / "images").rglob("*")), "the kill came after some image was written"

    server.clear()  # every URL now answers 404
    assert _build(tmp_path) == 0
    described, on_disk = _consistent(out)
    assert described == on_disk
    assert not list(out.rglob("*.part"))
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == len(urls)
    kept = {row["file_name"] for row in manifest if row["status"] == "kept"}
    assert kept == described
