"""A bad or unreachable job database: one error, never a hang or a traceback, on every command."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pixcrawler.backend.db.session as db_session
from pixcrawler.backend.db import make_engine
from pixcrawler.backend.db.migrate import ensure_current, is_current, upgrade
from pixcrawler.errors import DatabaseConnectionError

BAD_URLS = {
    "not a URL": "not a url",
    "unsupported scheme": "http://example.com/jobs",
    "bad IPv6 literal": "postgresql://u@[::1/jobs",
    "unreadable SQLite path": "sqlite:////nonexistent/dir/jobs.sqlite",
    "unreachable": "postgresql://u@127.0.0.1:1/jobs",
}


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A port that accepts TCP connections (the kernel completes them) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"postgresql://u@127.0.0.1:{listener.getsockname()[1]}/jobs"
    finally:
        listener.close()


def test_a_silent_host_times_out_in_the_migration_too(
    silent_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The URL sets no timeout: the engine's default must bound the migration's connection too
    # (before, Alembic connected without one and waited forever).
    monkeypatch.setattr(db_session, "POSTGRES_CONNECT_TIMEOUT", 2)
    with pytest.raises(DatabaseConnectionError, match="database unreachable"):
        upgrade(silent_host)
    with pytest.raises(DatabaseConnectionError, match="database unreachable"):
        is_current(make_engine(silent_host))
    with pytest.raises(DatabaseConnectionError, match="database unreachable"):
        ensure_current(silent_host)


@pytest.mark.parametrize("name", list(BAD_URLS))
def test_bad_urls_raise_one_error_type(name: str) -> None:
    with pytest.raises(DatabaseConnectionError) as caught:
        ensure_current(BAD_URLS[name])
    assert caught.value.reason.startswith(("bad PIXCRAWLER_DATABASE_URL (", "database unreachable"))


def _cli(args: list[str], url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIXCRAWLER_DATABASE_URL": url, "COLUMNS": "60"}
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "args"),
    [(name, ["jobs"]) for name in BAD_URLS]
    + [("not a URL", ["jobs", "show", "x"]), ("not a URL", ["jobs", "cancel", "x"]),
       ("bad IPv6 literal", ["worker"]),
       ("unsupported scheme", ["build", "-s", "list.txt", "-o", "ds", "--distributed"])],
)  # fmt: skip
def test_every_command_says_one_error_line(name: str, args: list[str], tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("http://127.0.0.1:1/a.jpg\n")
    result = _cli(args, BAD_URLS[name], tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: job database unavailable: "), errors
