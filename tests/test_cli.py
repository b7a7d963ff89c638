"""The CLI as a user runs it: a real subprocess, real files, one clear line for bad input."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.server import FixtureServer


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def url_list(tmp_path: Path, failure_modes: dict[str, str]) -> Path:
    names = ["ok_1", "ok_2", "ok_3", "not_found", "always_503", "truncated", "exact_dup"]
    path = tmp_path / "cats.txt"
    path.write_text("# a comment\n" + "\n".join(failure_modes[n] for n in names) + "\n\n")
    return path


def test_build_prints_funnel_and_writes_dataset(url_list: Path, tmp_path: Path) -> None:
    result = run("build", "--source", str(url_list), "--out", "ds", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Funnel" in result.stdout
    assert "cats" in result.stdout
    assert "http 404" in result.stdout
    rows = [json.loads(x) for x in (tmp_path / "ds" / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 7
    assert sum(r["status"] == "kept" for r in rows) == 3
    assert "Traceback" not in result.stderr


def test_rerun_fetches_nothing_already_settled(
    url_list: Path, tmp_path: Path, server: FixtureServer, failure_modes: dict[str, str]
) -> None:
    assert run("build", "-s", str(url_list), "-o", "ds", "-q", cwd=tmp_path).returncode == 0
    server.reset()
    assert run("build", "-s", str(url_list), "-o", "ds", "-q", cwd=tmp_path).returncode == 0
    assert server.count(failure_modes["ok_1"]) == 0
    assert server.count(failure_modes["not_found"]) == 0


def test_progress_bars_and_json_logs(url_list: Path, tmp_path: Path) -> None:
    result = run("--log-format", "json", "build", "-s", str(url_list), "-o", "ds", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    log_lines = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
    assert any(r["record"]["extra"].get("operation") == "build" for r in log_lines)
    assert "all candidates" in result.stderr
    # Wherever a retry happens (here or in a fetch process), its line reaches stderr as JSON.
    retries = [
        r["record"] for r in log_lines if r["record"]["message"] == "transient error, retrying"
    ]
    assert [r["extra"]["attempt"] for r in retries] == [1, 2]
    assert retries[0]["extra"]["url"].endswith("/always_503")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "-s", "missing.txt", "-o", "ds"], "cannot read source missing.txt"),
        (["build", "-s", "list.xlsx", "-o", "ds"], "xlsx"),
        (["build", "-s", "ok.txt", "-o", "afile"], "not a directory"),
        (["build", "-s", "ok.txt", "-o", "ds", "--labels", "xml"], "unknown label format xml"),
        (["build", "-s", "ok.txt", "-o", "ds", "--per-class", "0"], "--per-class"),
        (["build", "-s", "ok.txt", "-o", "ds", "--concurrency", "0"], "--concurrency"),
        (["build", "-s", "ok.txt", "-o", "ds", "--processes", "0"], "--processes"),
        (["--log-level", "LOUD", "build", "-s", "ok.txt", "-o", "ds"], "unknown log level"),
        (["validate", "nowhere"], "not a directory"),
        (["dedup", "nowhere"], "not a directory"),
    ],
)
def test_bad_arguments_give_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "list.xlsx").write_text("x")
    (tmp_path / "ok.txt").write_text("")
    (tmp_path / "afile").write_text("x")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 2


def test_bad_setting_in_environment_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PIXCRAWLER_MAX_CONCURRENCY": "lots"}
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "validate", "."],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "PIXCRAWLER_MAX_CONCURRENCY" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_and_dedup_commands(url_list: Path, tmp_path: Path) -> None:
    assert run("build", "-s", str(url_list), "-o", "ds", "-q", cwd=tmp_path).returncode == 0
    images = tmp_path / "ds" / "images"
    (images / "cats" / "broken.jpg").write_bytes(b"\xff\xd8\xff" + b"0" * 2000)
    kept = sorted((images / "cats").glob("*.jpg"))[0]
    (images / "dogs").mkdir()
    (images / "dogs" / "copy.jpg").write_bytes(kept.read_bytes())
    result = run("validate", str(images), cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.jpg" in result.stdout
    assert "1 invalid" in result.stdout
    result = run("dedup", str(images), cwd=tmp_path)
    assert result.returncode == 0
    assert "cross-class" in result.stdout
    assert "copy.jpg" in result.stdout


# A background job inherits SIGINT ignored (as CI may run us); a terminal's Ctrl-C does not, so
# the child restores Python's own handler before running the CLI.
def _children(pid: int) -> list[int]:
    return [
        int(task.name)
        for task in Path("/proc").iterdir()
        if task.name.isdigit() and _parent_of(task) == pid
    ]


def _parent_of(task: Path) -> int | None:
    try:
        status = (task / "status").read_text()
    except OSError:
        return None
    return int(next(x for x in status.splitlines() if x.startswith("PPid:")).split()[1])


INTERRUPTIBLE = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('pixcrawler', run_name='__main__')"
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_leaves_a_consistent_dataset_and_rerun_completes(
    server: FixtureServer, tmp_path: Path, signum: signal.Signals
) -> None:
    from support.images import make_jpeg
    from support.server import Response

    urls = [
        server.add_sequence(f"/sigint/{i}.jpg", [Response(body=make_jpeg(9000 + i), delay=0.1)])
        for i in range(120)
    ]
    (tmp_path / "slow.txt").write_text("\n".join(urls) + "\n")
    args = [sys.executable, "-c", INTERRUPTIBLE, "build", "-s", "slow.txt", "-o", "ds", "-q",
            "--concurrency", "4", "--processes", "2"]  # fmt: skip
    with subprocess.Popen(
        args,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        deadline = time.monotonic() + 60
        while sum(server.counts.values()) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        fetchers = _children(proc.pid)
        assert len(fetchers) == 2
        # Ctrl-C reaches the whole process group; a service manager's SIGTERM only the parent.
        os.killpg(proc.pid, signum) if signum == signal.SIGINT else proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    time.sleep(0.2)
    assert not [pid for pid in fetchers if Path(f"/proc/{pid}").exists()], "orphaned fetchers"
    assert "rerun the same command to resume" in stderr
    assert "Traceback" not in stderr
    out = tmp_path / "ds"
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    kept = {r["file_name"] for r in rows if r["status"] == "kept"}
    assert 0 < len(kept) < 120
    on_disk = {p.relative_to(out).as_posix() for p in (out / "images").rglob("*.jpg")}
    assert on_disk == kept
    assert not list(out.rglob("*.part"))
    before = sum(server.counts.values())
    result = run("build", "-s", "slow.txt", "-o", "ds", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert sum(r["status"] == "kept" for r in rows) == 120
    assert sum(server.counts.values()) - before <= 120 - len(kept)  # kept ones not refetched
