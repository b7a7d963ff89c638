"""The tools a benchmark compares: how to install, invoke and count the output of each."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = REPO_ROOT / "benchmarks" / ".work"

#: The PixCrawler command line; ``{bin}``, ``{urls}`` and ``{out}`` are filled in per run.
PIXCRAWLER_COMMAND = ("{bin}", "build", "--source", "{urls}", "--label", "bench", "--out", "{out}")
PIXCRAWLER_BIN = REPO_ROOT / ".venv" / "bin" / "pixcrawler"

IMG2DATASET_VENV = WORK_DIR / "venv-img2dataset"
IMG2DATASET_REQUIREMENT = "img2dataset"
#: Runs img2dataset's Python API in its own interpreter; keyword arguments come as JSON in argv[1].
_IMG2DATASET_SCRIPT = "import json, sys\nfrom img2dataset import download\n"
_IMG2DATASET_SCRIPT += "download(**json.loads(sys.argv[1]))\n"

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"})


@dataclass(frozen=True)
class Invocation:
    """A command, its extra environment, and the directory it will write."""

    tool: str
    command: list[str]
    env: dict[str, str]
    out_dir: Path


@dataclass(frozen=True)
class Concurrency:
    """One total number of requests in flight, split the way img2dataset needs it."""

    total: int
    processes: int

    @property
    def threads_per_process(self) -> int:
        return max(1, self.total // self.processes)


def ensure_img2dataset() -> str:
    """Create img2dataset's own virtualenv if missing; return the version installed there."""
    python = IMG2DATASET_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {IMG2DATASET_VENV} and installing {IMG2DATASET_REQUIREMENT} ...")
        subprocess.run([sys.executable, "-m", "venv", str(IMG2DATASET_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, IMG2DATASET_REQUIREMENT], check=True)
    probe = "from importlib.metadata import version; print(version('img2dataset'))"
    found = subprocess.run([str(python), "-c", probe], check=True, capture_output=True, text=True)
    return found.stdout.strip()


def img2dataset_invocation(urls: Path, out_dir: Path, n: int, limits: Concurrency) -> Invocation:
    """img2dataset set up to be as fast as it goes while doing the same job.

    It keeps the original bytes (``skip_reencode`` after its full decode), hashes them with
    sha256, skips EXIF extraction and the X-Robots-Tag check (the loopback server sends none),
    and splits the list into two shards per process so both processes stay busy to the end.
    """
    options = {
        "url_list": str(urls),
        "input_format": "txt",
        "output_folder": str(out_dir),
        "output_format": "files",
        "resize_mode": "no",
        "skip_reencode": True,
        "extract_exif": False,
        "compute_hash": "sha256",
        "processes_count": limits.processes,
        "thread_count": limits.threads_per_process,
        "number_sample_per_shard": max(1, -(-n // (2 * limits.processes))),
        "timeout": 10,
        "retries": 0,
        "enable_wandb": False,
        "disallowed_header_directives": [],
    }
    python = str(IMG2DATASET_VENV / "bin" / "python")
    # Both variables stop start-up calls to the internet (update check, telemetry).
    env = {"NO_ALBUMENTATIONS_UPDATE": "1", "WANDB_MODE": "disabled", "WANDB_SILENT": "true"}
    command = [python, "-c", _IMG2DATASET_SCRIPT, json.dumps(options)]
    return Invocation("img2dataset", command, env, out_dir)


def pixcrawler_invocation(
    urls: Path, out_dir: Path, limits: Concurrency, executable: Path = PIXCRAWLER_BIN
) -> Invocation:
    """PixCrawler with its defaults, allowed onto loopback, at the same concurrency."""
    fields = {"bin": str(executable), "urls": str(urls), "out": str(out_dir)}
    command = [part.format(**fields) for part in PIXCRAWLER_COMMAND]
    env = {
        "PIXCRAWLER_ALLOW_PRIVATE_NETWORK": "1",
        "PIXCRAWLER_MAX_CONCURRENCY": str(limits.total),
        "PIXCRAWLER_PER_HOST_CONCURRENCY": str(limits.total),
        # Fetch processes = img2dataset processes (PixCrawler's default: one per core).
        "PIXCRAWLER_PROCESSES": str(limits.processes),
        # A fresh data dir per run, so no cache from an earlier run can help.
        "PIXCRAWLER_DATA_DIR": str(out_dir.parent / f"{out_dir.name}-data"),
    }
    return Invocation("pixcrawler", command, env, out_dir)


def pixcrawler_ready(executable: Path = PIXCRAWLER_BIN) -> bool:
    """Whether ``pixcrawler build --help`` works."""
    if not executable.exists():
        return False
    probe = subprocess.run(
        [str(executable), "build", "--help"], capture_output=True, check=False, timeout=120
    )
    return probe.returncode == 0


def count_images(out_dir: Path) -> int:
    """Image files written anywhere under ``out_dir``."""
    if not out_dir.exists():
        return 0
    return sum(
        1 for path in out_dir.rglob("*") if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
    )


def manifest_kept(out_dir: Path) -> int | None:
    """Rows with status ``kept`` in PixCrawler's ``manifest.jsonl``, or None if there is none."""
    manifests = list(out_dir.rglob("manifest.jsonl")) if out_dir.exists() else []
    if not manifests:
        return None
    kept = 0
    for manifest in manifests:
        with manifest.open(encoding="utf-8") as rows:
            kept += sum(
                1 for row in rows if row.strip() and json.loads(row).get("status") == "kept"
            )
    return kept


def default_processes() -> int:
    """One img2dataset process per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
