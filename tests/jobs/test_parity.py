"""A distributed build equals a local one, file contents included (a real worker runs the job).

The list has duplicates inside a chunk and across chunks (and classes), a near duplicate, a
download failure and a broken image, cut into chunks of 3 rows. Both builds fetch one image at
a time (``PIXCRAWLER_MAX_CONCURRENCY=1``), so which copy of a picture comes first is the list's
order on both sides, never a race.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_worker_integration import running_worker

from support.images import ImageSet, near_duplicate_of, truncated
from support.server import FixtureServer


def _listing(server: FixtureServer, images: ImageSet) -> list[tuple[str, str]]:
    cat, dog, other, last = images.jpegs[:4]
    picture = {
        "a": cat, "a-copy": cat, "b": dog,  # chunk 1: an exact duplicate in the chunk
        "c": other, "missing": b"", "a-dog": cat,  # chunk 2: one across chunks and classes
        "b-near": near_duplicate_of(dog), "x": cat, "x-copy": cat,  # 3: its original demoted
        "broken": truncated(last), "d": last,
    }  # fmt: skip
    labels = {"b": "dogs", "a-dog": "dogs", "b-near": "dogs", "d": "dogs"}
    rows = []
    for name, body in picture.items():
        url = server.add(f"/parity/{name}.jpg", body, status=404 if not body else 200)
        rows.append((url, labels.get(name, "cats")))
    return rows


def _build(env: dict[str, str], cwd: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "build", "-s", "list.csv", "-q", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _tree(root: Path) -> dict[str, bytes]:
    """Every file of the dataset but the report and the dataset card (they carry timings)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".pixcrawler" not in path.parts
        and path.name not in {"report.html", "README.md"}
    }  # fmt: skip


@pytest.mark.parametrize("level", ["fast", "medium"])
def test_a_distributed_build_equals_a_local_one(
    server: FixtureServer, images: ImageSet, tmp_path: Path, level: str
) -> None:
    env = {**os.environ, "PIXCRAWLER_DATA_DIR": str(tmp_path / "data"),
           "PIXCRAWLER_CHUNK_SIZE": "3", "PIXCRAWLER_MAX_CONCURRENCY": "1"}  # fmt: skip
    for name in ("BROKER_URL", "RESULT_BACKEND", "DATABASE_URL", "STORAGE_URL"):
        env.pop(f"PIXCRAWLER_{name}", None)  # the embedded default: filesystem broker, SQLite
    rows = _listing(server, images)
    (tmp_path / "list.csv").write_text("url,label\n" + "".join(f"{u},{c}\n" for u, c in rows))
    options = ("--validation-level", level, "--labels", "json,csv,yaml,txt")

    _build(env, tmp_path, "-o", "local", "--processes", "1", *options)
    with running_worker(env, tmp_path / "worker.log"):
        _build(env, tmp_path, "-o", "distributed", "--distributed", *options)

    local, distributed = tmp_path / "local", tmp_path / "distributed"
    manifest = _jsonl(local / "manifest.jsonl")
    assert _jsonl(distributed / "manifest.jsonl") == manifest  # row by row, every field
    assert _jsonl(distributed / "metadata.jsonl") == _jsonl(local / "metadata.jsonl")
    assert _tree(distributed) == _tree(local)  # labels/*, images, and the two above
    # The list exercised what it was meant to.
    status = {row["url"].rsplit("/", 1)[-1].removesuffix(".jpg"): row for row in manifest}
    assert [status[n]["status"] for n in ("a-copy", "a-dog", "x", "x-copy", "b-near")] == [
        "duplicate"
    ] * 5
    assert status["a-dog"]["cross_class"] is True
    assert status["x-copy"]["duplicate_of"] == status["a"]["file_name"]
    assert (status["missing"]["status"], status["broken"]["status"]) == (
        "download_failed", "invalid"
    )  # fmt: skip
    assert (status["a"]["quality"] is None) == (level == "fast")
