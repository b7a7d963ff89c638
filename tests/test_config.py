"""Settings check themselves: the job timings keep their order, the chunk size is a setting."""

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from pixcrawler.config import Settings


def test_the_default_timings_keep_their_order() -> None:
    settings = Settings()
    assert settings.task_time_limit < settings.stale_after < settings.visibility_timeout


@pytest.mark.parametrize(
    "timings",
    [
        {"task_time_limit": 1800, "stale_after": 1800},  # a task as long as the takeover
        {"stale_after": 3600, "visibility_timeout": 3000},  # redelivered while still taken
    ],
)
def test_timings_out_of_order_are_refused(timings: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="TASK_TIME_LIMIT < PIXCRAWLER_STALE_AFTER <"):
        Settings(**timings)


def test_the_chunk_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXCRAWLER_CHUNK_SIZE", "7")
    assert Settings().chunk_size == 7


def test_a_bad_timing_in_the_environment_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "jobs"],
        env={"PATH": "/usr/bin:/bin", "PIXCRAWLER_STALE_AFTER": "60",
             "PIXCRAWLER_DATA_DIR": str(tmp_path), "PYTHONPATH": ":".join(sys.path)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: invalid settings: PIXCRAWLER_TASK_TIME_LIMIT <")
