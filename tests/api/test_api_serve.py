"""`pixcrawler serve` on a fresh data directory with the embedded defaults (SQLite, filesystem
broker, local storage, its own worker): the admin key it prints once gets a dataset through
the Python client and `pixcrawler remote`, and survives a restart that prints nothing."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.serving import running_service
from pixcrawler.backend.db.api_keys import hash_api_key
from pixcrawler.client import Client
from support.search_world import SearchWorld

pytestmark = pytest.mark.slow

KEY_LINE = re.compile(r"^admin API key: (\S+)$", re.MULTILINE)


@pytest.fixture
def embedded_env(tmp_path: Path, world: SearchWorld) -> dict[str, str]:
    """The environment of a first start: no database, broker, storage or Supabase configured."""
    world.install(["openverse"], images_per_query=6, pages=1)
    unset = ("PIXCRAWLER_DATABASE_URL", "PIXCRAWLER_BROKER_URL", "PIXCRAWLER_STORAGE_URL",
             "PIXCRAWLER_SUPABASE_URL", "PIXCRAWLER_SUPABASE_JWT_SECRET")  # fmt: skip
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env |= {**world.base_urls(), "PIXCRAWLER_DATA_DIR": str(tmp_path / "data"),
            "PIXCRAWLER_WATCHDOG_INTERVAL": "0"}  # fmt: skip
    return env


def _remote(env: dict[str, str], base: str, key: str, *args: str) -> str:
    command = [sys.executable, "-m", "pixcrawler", "remote", *args, "--url", base,
               "--api-key", key]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_the_printed_admin_key_drives_the_client_and_remote_and_is_printed_once(
    embedded_env: dict[str, str], tmp_path: Path
) -> None:
    data = Path(embedded_env["PIXCRAWLER_DATA_DIR"])
    with running_service(embedded_env, tmp_path / "first.log") as base:
        keys = KEY_LINE.findall((tmp_path / "first.log").read_text())
        assert len(keys) == 1 and keys[0].startswith("pxc_")
        key = keys[0]

        submitted = _remote(embedded_env, base, key, "submit", "--keywords", "red fox",
                            "--engines", "openverse", "--per-class", "3", "--wait")  # fmt: skip
        job_id = submitted.split()[0]
        assert f"job {job_id}: completed" in submitted
        status = json.loads(_remote(embedded_env, base, key, "status", job_id))
        assert status["job"]["status"] == "completed" and status["fraction"] == 1.0
        _remote(embedded_env, base, key, "download", job_id, "--out", str(tmp_path / "out"))
        with Client(base, key) as client:
            kept = list(client.list_images(job_id, status="kept"))
            listed = [job["id"] for job in client.list_jobs()]

    assert len(kept) == 3 and listed == [job_id]
    extracted = list((tmp_path / "out").rglob("*.jpg"))
    assert len(extracted) == 3
    assert _files_holding(data, key) == []  # only the hash is stored…
    assert _files_holding(data, hash_api_key(key))  # …in the job database

    with running_service(embedded_env, tmp_path / "second.log") as base:
        assert "admin API key" not in (tmp_path / "second.log").read_text()
        with Client(base, key) as client:
            assert client.get_job(job_id)["status"] == "completed"
