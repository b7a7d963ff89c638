"""``pixcrawler package`` / ``verify`` as a user runs them, on a dataset built by the CLI."""

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def dataset(tmp_path: Path, failure_modes: dict[str, str]) -> Path:
    urls = tmp_path / "pets.txt"
    urls.write_text("\n".join(failure_modes[n] for n in ("ok_1", "ok_2", "ok_png")) + "\n")
    assert run("build", "-s", "pets.txt", "-o", "pets", "-q", cwd=tmp_path).returncode == 0
    return tmp_path / "pets"


@pytest.mark.parametrize("fmt", ["zip", "7z", "tar.zst"])
def test_package_then_verify(dataset: Path, fmt: str) -> None:
    result = run("package", "pets", "--format", fmt, cwd=dataset.parent)
    assert result.returncode == 0, result.stderr
    archive = dataset.parent / f"pets.{fmt}"
    assert archive.is_file()
    assert Path(f"{archive}.sha256").is_file()
    verified = run("verify", archive.name, cwd=dataset.parent)
    assert verified.returncode == 0, verified.stdout
    assert "ok" in verified.stdout


def test_verify_catches_a_corrupted_archive(dataset: Path) -> None:
    assert run("package", "pets", cwd=dataset.parent).returncode == 0
    archive = dataset.parent / "pets.zip"
    data = bytearray(archive.read_bytes())
    data[len(data) // 3] ^= 0xFF
    archive.write_bytes(bytes(data))
    result = run("verify", "pets.zip", cwd=dataset.parent)
    assert result.returncode == 1
    assert "FAILED" in result.stdout


def test_recompress_and_webdataset(dataset: Path) -> None:
    result = run(
        "package", "pets", "--recompress", "webp", "--quality", "80", "--webdataset", "shards",
        cwd=dataset.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (shard,) = sorted((dataset.parent / "shards").glob("*.tar"))
    with tarfile.open(shard) as tar:
        names = tar.getnames()
    assert sum(n.endswith(".cls") for n in names) == 3
    assert sum(n.endswith(".json") for n in names) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["package", "pets", "--format", "rar"], "unknown --format"),
        (["package", "pets", "--recompress", "gif"], "unknown --recompress"),
        (["package", "pets", "--recompress", "webp", "--quality", "0"], "quality"),
        (["package", "nowhere"], "not a directory"),
        (["verify", "nothing.zip"], "not a file"),
    ],
)
def test_bad_package_arguments(dataset: Path, args: list[str], message: str) -> None:
    result = run(*args, cwd=dataset.parent)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_lists_the_same_formats_as_the_library() -> None:
    from pixcrawler.cli import package as command
    from pixcrawler.utility import compress

    assert command.ARCHIVE_FORMATS == compress.ARCHIVE_FORMATS
    assert command.RECOMPRESS_FORMATS == compress.RECOMPRESS_FORMATS
