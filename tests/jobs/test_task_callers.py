"""Every registered task is sent by a CLI command or another task, and a real worker runs it.

One deployment (Redis, PostgreSQL, a ``pixcrawler worker``) is driven as a user would: a keyword
job and a URL-list job built with ``build --distributed``, then ``jobs validate`` at each level,
``jobs check`` and ``jobs export``; the worker's own log says which tasks it received.
"""

import io
import json
import re
from pathlib import Path

from PIL import Image

from pixcrawler.celery_app import app
from support.deployment import Deployment, wait_for
from support.images import ImageSet
from support.search_world import SearchWorld
from support.server import FixtureServer

RECEIVED = re.compile(r"Task (pixcrawler\.[\w.]+)\[")


def _registered() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if name.startswith("pixcrawler.")}


def _dark_jpeg() -> bytes:
    """Whole and decodable (fast passes it), but too dark for the medium quality gates."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (2, 2, 2)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _received(deployment: Deployment) -> set[str]:
    names = set()
    for worker in deployment.workers:
        for record in worker.records():
            found = RECEIVED.search(record["message"])
            if found and "received" in record["message"]:
                names.add(found.group(1))
    return names


def _manifest(path: Path) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {str(row["url"]): row for row in rows}


def _job_of(stdout: str) -> str:
    found = re.search(r"from job\s+([0-9a-f-]{36})", stdout)
    assert found, stdout
    return found.group(1)


def test_every_task_has_a_caller_that_a_worker_runs(
    deployment: Deployment, world: SearchWorld, server: FixtureServer, images: ImageSet,
    tmp_path: Path,
) -> None:  # fmt: skip
    world.install(("openverse",), images_per_query=2, pages=1)
    deployment.env.update(world.base_urls())
    deployment.worker(PIXCRAWLER_WATCHDOG_INTERVAL="1")

    # A keyword job: plan_job → generate_keywords → discover_chunk → finalize → package.
    keywords = deployment.cli("build", "--distributed", "red fox", "--engines", "openverse",
                              "--per-class", "2", "--variations", "2", "-o", str(tmp_path / "kw"),
                              "-q")  # fmt: skip
    assert keywords.returncode == 0, keywords.stderr
    kw_job = _job_of(keywords.stdout)
    (chunk,) = deployment.chunks(kw_job)
    assert chunk.payload["queries"] == ["red fox", chunk.payload["queries"][1]]
    kw_rows = _manifest(tmp_path / "kw" / "manifest.jsonl").values()
    assert {row["query"] for row in kw_rows} <= set(chunk.payload["queries"])

    # A URL-list job at the fast level, with one picture too dark for the medium level.
    dark = server.add("/dark.jpg", _dark_jpeg())
    fine = [server.add(f"/fine{n}.jpg", images.jpegs[n]) for n in range(3)]
    (tmp_path / "pets.txt").write_text("\n".join([*fine, dark]) + "\n")
    urls = deployment.cli("build", "--distributed", "-s", str(tmp_path / "pets.txt"), "-o",
                          str(tmp_path / "pets"), "--validation-level", "fast", "-q")  # fmt: skip
    assert urls.returncode == 0, urls.stderr
    job = _job_of(urls.stdout)
    assert _manifest(tmp_path / "pets" / "manifest.jsonl")[dark]["status"] == "kept"

    # jobs validate: validate_<level> → validate_chunk per chunk → generate_labels → package.
    medium = deployment.cli("jobs", "validate", job[:8], "--level", "medium")
    assert medium.returncode == 0, medium.stderr
    assert "4 kept images validated at medium, 1 rejected" in medium.stdout
    for level in ("fast", "slow"):
        again = deployment.cli("jobs", "validate", job[:8], "--level", level)
        assert again.returncode == 0, again.stderr
        assert f"3 kept images validated at {level}, 0 rejected" in again.stdout

    # jobs check: check_integrity → check_duplicates → generate_labels.
    stored = sorted(deployment.ctx.storage.list(f"jobs/{job}/dataset/images/"))
    deployment.storage_path(stored[0]).write_bytes(b"tampered")
    check = deployment.cli("jobs", "check", job[:8])
    assert check.returncode == 0, check.stderr
    assert "3 kept images re-hashed, 0 missing, 1 altered; 0 duplicates demoted" in check.stdout

    # The exports in storage followed every demotion; `jobs export` copies them.
    export = deployment.cli("jobs", "export", job[:8], "--out", str(tmp_path / "again"))
    assert export.returncode == 0, export.stderr
    rows = _manifest(tmp_path / "again" / "manifest.jsonl")
    assert rows[dark]["status"] == "invalid"
    assert sorted(str(row["status"]) for row in rows.values()) == [
        "invalid", "invalid", "kept", "kept"
    ]  # fmt: skip
    assert len(list((tmp_path / "again" / "images").rglob("*.jpg"))) == 2
    progress = deployment.cli("jobs")
    assert re.search(rf"{job[:8]}\s.*completed.*\s2\s", progress.stdout), progress.stdout

    wait_for("a watchdog sweep", lambda: "pixcrawler.builder.tasks.watch_jobs" in _received(
        deployment))  # fmt: skip
    assert _received(deployment) == _registered()
