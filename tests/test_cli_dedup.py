"""``pixcrawler dedup FOLDER`` as a user runs it: a header, manifest order, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

from support.images import make_jpeg, make_png


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def dataset(root: Path) -> Path:
    """Three kept images: cats/z.jpg kept first, dogs/a.jpg a byte copy, cats/m.png a re-encode."""
    jpeg = make_jpeg(3)
    files = {"images/cats/z.jpg": jpeg, "images/dogs/a.jpg": jpeg, "images/cats/m.png": make_png(3)}
    rows = []
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        label = name.split("/")[1]
        rows.append(
            {"url": f"http://x/{name}", "label": label, "status": "kept", "file_name": name}
        )
    (root / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root


def test_dedup_prints_a_header_and_keeps_the_earliest_kept(tmp_path: Path) -> None:
    dataset(tmp_path / "ds")

    result = run("dedup", "ds", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "3 images in ds; originals: earliest kept in manifest.jsonl"
    assert lines[1] == "kind\tfile\toriginal\tdistance\tnote"
    assert lines[2:] == [
        "exact\tds/images/dogs/a.jpg\tds/images/cats/z.jpg\t0\tcross-class",
        "near\tds/images/cats/m.png\tds/images/cats/z.jpg\t0\t",
        "2 duplicates (1 exact, 1 near)",
    ]


def test_dedup_of_a_plain_folder_says_it_uses_path_order(tmp_path: Path) -> None:
    (tmp_path / "b.jpg").write_bytes(make_jpeg(4))
    (tmp_path / "a.jpg").write_bytes(make_jpeg(4))

    result = run("dedup", ".", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "originals: first in sorted path order" in result.stdout
    assert "exact\tb.jpg\ta.jpg\t0\t" in result.stdout


def test_a_malformed_manifest_is_one_line_and_no_traceback(tmp_path: Path) -> None:
    root = dataset(tmp_path / "ds")
    with (root / "manifest.jsonl").open("a") as manifest:
        manifest.write("{truncated\n")

    result = run("dedup", "ds", cwd=tmp_path)

    assert result.returncode == 2
    assert "manifest.jsonl line 4 is not JSON" in result.stderr
    assert "Traceback" not in result.stderr
