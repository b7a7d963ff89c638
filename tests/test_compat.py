"""A built dataset loads unmodified in Hugging Face ``datasets`` and torchvision ``ImageFolder``."""

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.config import Settings
from pixcrawler.records import Candidate
from support.server import FixtureServer
from support.services import REQUIRE_SERVICES_ENV

# torchvision lives in its own virtualenv (made by `make test`): several GB we keep out of .venv.
TORCHVISION_PYTHON = "PIXCRAWLER_TORCHVISION_PYTHON"


@pytest.fixture
def dataset(server: FixtureServer, tmp_path: Path) -> Path:
    urls = server.add_bulk("compat", 9)
    labels = ["tabby cat", "Golden Retriever", "猫"]
    candidates = [Candidate(url, labels[i % 3]) for i, url in enumerate(urls)]
    out = tmp_path / "ds"
    writer = asyncio.run(build_dataset(candidates, out, Settings(), BuildOptions()))
    writer.close()
    return out


def test_loads_in_huggingface_datasets(dataset: Path) -> None:
    from datasets import load_dataset

    loaded = load_dataset("imagefolder", data_dir=str(dataset), split="train")
    assert loaded.num_rows == 9
    assert {"image", "label", "sha256", "source_url"} <= set(loaded.column_names)
    assert sorted(set(loaded["label"])) == sorted(["tabby cat", "Golden Retriever", "猫"])
    assert loaded[0]["image"].size == (256, 256)


def test_loads_in_torchvision_imagefolder(dataset: Path) -> None:
    python = os.environ.get(TORCHVISION_PYTHON)
    if not python or not Path(python).exists():
        reason = f"{TORCHVISION_PYTHON} not set (make test creates that virtualenv)"
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    script = (
        "import json, sys\n"
        "from torchvision.datasets import ImageFolder\n"
        "ds = ImageFolder(sys.argv[1])\n"
        "image, target = ds[0]\n"
        "samples = {p.split('/images/', 1)[1]: t for p, t in ds.samples}\n"
        "print(json.dumps({'n': len(ds), 'classes': ds.classes, 'size': list(image.size),\n"
        "                  'samples': samples}))\n"
    )
    result = subprocess.run(
        [python, "-c", script, str(dataset / "images")],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    loaded = json.loads(result.stdout)
    assert loaded["n"] == 9
    assert loaded["size"] == [256, 256]
    slugs = sorted(p.name for p in (dataset / "images").iterdir())
    assert loaded["classes"] == slugs
    # Our label files give every image the class index ImageFolder gives it.
    labels = json.loads((dataset / "labels" / "labels.json").read_text())
    ours = {row["file_name"].removeprefix("images/"): row["class_index"] for row in labels}
    assert ours == loaded["samples"]
