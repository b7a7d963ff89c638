"""The ``jobs`` commands as a user meets them: short ids, Ctrl-C on a distributed build, export.

These run the CLI in a subprocess on the embedded default (filesystem broker, SQLite, local
storage under the test's data dir), as a user on a laptop would.
"""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pixcrawler.backend.db import Job, session_scope
from pixcrawler.backend.distributed._context import JobContext
from support.images import ImageSet
from support.server import FixtureServer


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", "--log-level", "WARNING", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _jobs(ctx: JobContext, *ids: str) -> None:
    with session_scope(ctx.sessions) as session:
        session.add_all(Job(id=job_id, user_id=None, kind="url_list", spec={}) for job_id in ids)


def test_any_unique_prefix_names_a_job(job_ctx: JobContext) -> None:
    _jobs(job_ctx, "b6d1b53e-0000-4000-8000-000000000001", "c0ffee00-0000-4000-8000-000000000002")
    for prefix in ("b6d1b53e", "B6D1", "b", "b6d1b53e-0000-4000-8000-000000000001"):
        shown = _cli("jobs", "show", prefix, "--no-follow")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip() == "job b6d1b53e-0000-4000-8000-000000000001: pending"
    listed = _cli("jobs")
    assert "b6d1b53e " in listed.stdout and "c0ffee00 " in listed.stdout


def test_an_ambiguous_prefix_lists_the_matches(job_ctx: JobContext) -> None:
    ids = ["abc10000-0000-4000-8000-000000000001", "abc20000-0000-4000-8000-000000000002"]
    _jobs(job_ctx, *ids, "abd00000-0000-4000-8000-000000000003")
    commands = (["show", "abc", "--no-follow"], ["cancel", "abc"], ["export", "abc", "-o", "x"])
    for command in commands:
        result = _cli("jobs", *command)
        assert result.returncode == 2
        first, *matches = result.stderr.strip().splitlines()
        assert first == "error: job id abc is ambiguous (2 jobs match); give more of it:"
        assert [line.split()[0] for line in matches] == ids
        assert all("url_list  pending" in line for line in matches)
        assert "Traceback" not in result.stderr
    unknown = _cli("jobs", "show", "ffff", "--no-follow")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2, "error: no job ffff (pixcrawler jobs lists them)"
    )  # fmt: skip


@contextmanager
def _worker(log: Path) -> Iterator[None]:
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pixcrawler", "worker", "--concurrency", "1"],
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # a warm shutdown lets a running task finish
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_ctrl_c_detaches_and_the_job_is_exported_later(
    job_ctx: JobContext, server: FixtureServer, images: ImageSet, tmp_path: Path
) -> None:
    """No worker yet: Ctrl-C leaves the job queued; a worker runs it; `jobs export` copies it
    into the same layout a local build of the same list makes."""
    urls = [server.add(f"/pet{n}.jpg", images.jpegs[n]) for n in range(3)]
    (tmp_path / "pets.txt").write_text("\n".join(urls) + "\n")
    build = subprocess.Popen(
        [sys.executable, "-m", "pixcrawler", "--log-level", "WARNING", "build", "--distributed",
         "-s", "pets.txt", "-o", "out"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert build.stderr is not None
        # Up to the line saying the job is recorded and its plan sent (a note may come first).
        while "submitted" not in (submitted := build.stderr.readline()) and submitted:
            pass
        build.send_signal(signal.SIGINT)
        _, stderr = build.communicate(timeout=60)
    finally:
        build.kill()
        build.communicate()
    assert "submitted" in submitted, submitted
    job_id = submitted.split()[1]
    assert build.returncode == 130
    assert "error" not in stderr and "Traceback" not in stderr
    detached = [line for line in stderr.splitlines() if line.startswith("detached")]
    assert detached == [
        f"detached: job {job_id} goes on on the workers; follow it: pixcrawler jobs show "
        f"{job_id}; once it completes: pixcrawler jobs export {job_id} --out out"
    ]
    assert not (tmp_path / "out").exists()

    early = _cli("jobs", "export", job_id[:8], "--out", "too-early", cwd=tmp_path)
    assert early.returncode == 2
    assert early.stderr.strip().startswith(f"error: job {job_id} is pending; follow it")
    with _worker(tmp_path / "worker.log"):
        shown = _cli("jobs", "show", job_id[:8], cwd=tmp_path)  # follows until it ends
    assert shown.stdout.strip() == f"job {job_id}: completed", shown.stderr
    requests = [server.count(url) for url in urls]

    exported = _cli("jobs", "export", job_id[:8], "--out", "exported", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert [server.count(url) for url in urls] == requests  # nothing fetched again
    local = _cli("build", "-s", "pets.txt", "-o", "local", "-q", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert _tree(tmp_path / "exported") == [
        name for name in _tree(tmp_path / "local") if not name.startswith(".pixcrawler/")
    ]
    rows = (tmp_path / "exported" / "manifest.jsonl").read_text().splitlines()
    assert sorted(json.loads(row)["url"] for row in rows) == sorted(urls)
    again = _cli("jobs", "export", job_id[:8], "--out", "exported", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip() == "error: exported is not an empty folder; export into a new one"


def test_private_addresses_are_the_workers_decision_and_the_reason_says_so(
    job_ctx: JobContext, server: FixtureServer, images: ImageSet, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The client allows private addresses, the worker does not: the worker refuses, and the
    client and every refused row say where the setting must be."""
    url = server.add("/pet.jpg", images.jpegs[0])
    (tmp_path / "pets.txt").write_text(url + "\n")
    monkeypatch.setenv("PIXCRAWLER_ALLOW_PRIVATE_NETWORK", "0")
    with _worker(tmp_path / "worker.log"):  # started with the setting off
        monkeypatch.setenv("PIXCRAWLER_ALLOW_PRIVATE_NETWORK", "1")
        build = _cli("build", "--distributed", "-s", "pets.txt", "-o", "out", "-q", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    assert (
        "note: PIXCRAWLER_ALLOW_PRIVATE_NETWORK is set here, but only the workers' own "
        "setting counts: set it where `pixcrawler worker` runs" in build.stderr
    )
    (row,) = [
        json.loads(line) for line in (tmp_path / "out/manifest.jsonl").read_text().splitlines()
    ]
    assert row["status"] == "filtered"
    assert row["reason"].startswith("private network address refused (127.0.0.1); allow with ")
    assert (
        "PIXCRAWLER_ALLOW_PRIVATE_NETWORK=1 set where downloads run (on the workers"
        in (row["reason"])
    )
    assert server.count(url) == 0
