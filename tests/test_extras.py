"""The core install runs local builds; a command needing an extra names it in one line.

Each case runs the CLI in a subprocess whose ``sitecustomize`` hides the extras' packages, as a
core install (``pip install pixcrawler``) would lack them.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.images import ImageSet
from support.server import FixtureServer

DISTRIBUTED = ("celery", "kombu", "redis", "sqlalchemy", "alembic", "psycopg")
CLOUD = ("azure", "boto3", "botocore", "s3transfer")
HIDER = """
import importlib.abc, sys

class _Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Hidden())
"""


def _cli(tmp_path: Path, hidden: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HIDER.format(hidden=set(hidden)))
    source = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(source)])}
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", "--log-level", "WARNING", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_hook_really_hides_the_extras(tmp_path: Path) -> None:
    probe = _cli(tmp_path, DISTRIBUTED + CLOUD, "--help")
    assert probe.returncode == 0, probe.stderr
    hidden = subprocess.run(
        [sys.executable, "-c", "import celery"], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "hook")}, check=False,
    )  # fmt: skip
    assert "No module named 'celery'" in hidden.stderr


def test_a_local_build_needs_no_extra(
    tmp_path: Path, server: FixtureServer, images: ImageSet
) -> None:
    urls = [server.add(f"/core{n}.jpg", images.jpegs[n]) for n in range(2)]
    (tmp_path / "pets.txt").write_text("\n".join(urls) + "\n")
    built = _cli(tmp_path, DISTRIBUTED + CLOUD, "build", "-s", "pets.txt", "-o", "out", "-q")
    assert built.returncode == 0, built.stderr
    assert len(list((tmp_path / "out" / "images").rglob("*.jpg"))) == 2
    checked = _cli(tmp_path, DISTRIBUTED + CLOUD, "validate", "out")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    "args",
    [("jobs",), ("jobs", "show", "abc"), ("jobs", "export", "abc", "-o", "x"), ("worker",),
     ("build", "--distributed", "-s", "pets.txt", "-o", "out")],
)  # fmt: skip
def test_distributed_commands_name_their_extra(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "pets.txt").write_text("http://example.com/a.jpg\n")
    result = _cli(tmp_path, DISTRIBUTED, *args)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: distributed jobs need the extra: pip install 'pixcrawler[distributed]'"
    )


def test_the_service_names_its_extra(tmp_path: Path) -> None:
    result = _cli(tmp_path, ("fastapi", "uvicorn"), "serve")
    assert (result.returncode, result.stderr.strip()) == (
        2, "error: the service needs the extra: pip install 'pixcrawler[service]'"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "hidden", "extra"),
    [("az://account/container", ("azure",), "Azure storage needs the extra: pip install "
      "'pixcrawler[azure]'"),
     ("s3://bucket/prefix", ("boto3", "botocore"), "S3 storage needs the extra: pip install "
      "'pixcrawler[s3]'")],
)  # fmt: skip
def test_cloud_storage_names_its_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, hidden: tuple[str, ...], extra: str
) -> None:
    monkeypatch.setenv("PIXCRAWLER_STORAGE_URL", url)
    result = _cli(tmp_path, hidden, "jobs")
    assert (result.returncode, result.stderr.strip()) == (2, f"error: {extra}")
