"""Near-duplicate benchmark: PixCrawler's inline detector against imagededup's hashing methods.

Run from the repository root:  .venv/bin/python benchmarks/dedup.py
It builds a ground-truth set from photos shipped inside PyPI wheels (``_dedup_set.py``), in a
virtualenv of its own under benchmarks/.work (scikit-image, scikit-learn, matplotlib for the
photos; imagededup for the peer). Scores are pairwise: a pair is two files of one group.

PixCrawler runs as a build does: each file, in a shuffled order, is validated at the default
level (which computes its hashes) and looked up in a ``DedupIndex`` before it is added, so an
image is only ever compared with those kept before it. Its predicted groups are those
decisions (a kept image and every file matched to it). imagededup is scored twice: its own
symmetric output (every pair it reports), and "inline", the same keep-the-first decisions
a user deduplicating with it would take, in the same order.
"""

import argparse
import itertools
import json
import random
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from _peers import WORK_DIR
from pixcrawler.config import Settings
from pixcrawler.errors import ValidationError
from pixcrawler.validator.dedup import DedupIndex
from pixcrawler.validator.levels import ValidationProfile, dedup_threshold, validate_image

HERE = Path(__file__).resolve().parent
VENV = WORK_DIR / "venv-dedup"
SET_DIR = WORK_DIR / "dedup-set"
REQUIREMENTS = ("scikit-image", "scikit-learn", "matplotlib", "PyWavelets", "scipy", "tqdm")
ORDER_SEED = 7

Pair = tuple[str, str]


def ensure_venv() -> Path:
    """Create the benchmark's virtualenv if missing; return its interpreter."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} ...")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *REQUIREMENTS], check=True)
        # Without its torch requirements: only the hashing methods are scored.
        subprocess.run([*pip, "--no-deps", "imagededup"], check=True)
    return python


def ensure_set(python: Path) -> dict[str, object]:
    """Generate the ground-truth set if missing; return its truth record."""
    truth = SET_DIR / "truth.json"
    if not truth.exists():
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        subprocess.run([str(python), str(HERE / "_dedup_set.py"), site, str(SET_DIR)], check=True)
    record: dict[str, object] = json.loads(truth.read_text(encoding="utf-8"))
    return record


def truth_pairs(files: list[dict[str, object]]) -> set[Pair]:
    """Every pair of files that share a group (singletons have negative groups)."""
    groups: dict[object, list[str]] = defaultdict(list)
    for entry in files:
        groups[entry["group"]].append(str(entry["file"]))
    return {pair for members in groups.values() for pair in _pairs(members)}


def _pairs(members: list[str]) -> set[Pair]:
    return {(a, b) if a < b else (b, a) for a, b in itertools.combinations(members, 2)}


def clusters_to_pairs(root_of: dict[str, str]) -> set[Pair]:
    """Pairs within each predicted group, given each file's kept original (itself if kept)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name, root in root_of.items():
        groups[root].append(name)
    return {pair for members in groups.values() for pair in _pairs(members)}


def pixcrawler_roots(order: list[str]) -> tuple[dict[str, str], float]:
    """Inline decisions of PixCrawler at its default settings; also the share of files it took."""
    settings = Settings()
    profile = ValidationProfile.from_settings(settings)
    index = DedupIndex(
        sqlite3.connect(":memory:"), dedup_threshold(profile.level, settings.phash_threshold)
    )
    root_of: dict[str, str] = {}
    for number, name in enumerate(order):
        data = (SET_DIR / name).read_bytes()
        try:
            info = validate_image(data, profile)
        except ValidationError:
            continue  # refused by validation: not kept, not a duplicate
        sha256 = f"file-{number}"  # every file is a distinct upload, even a byte-identical one
        match = index.find(sha256, info.phash, fingerprint=info.fingerprint)
        if match is None:
            index.add(sha256, info.phash, "bench", name, info.fingerprint)
            root_of[name] = name
        else:
            root_of[name] = match.file_name
    return root_of, len(root_of) / len(order)


def imagededup_maps(python: Path) -> dict[str, dict[str, list[str]]]:
    """imagededup's duplicate map for each hashing method, at its default threshold."""
    run = subprocess.run(
        [str(python), str(HERE / "_imagededup_run.py"), str(SET_DIR)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    maps: dict[str, dict[str, list[str]]] = json.loads(run.stdout)
    return maps


def symmetric_pairs(duplicates: dict[str, list[str]]) -> set[Pair]:
    """Every pair imagededup reports, either way round."""
    return {(a, b) if a < b else (b, a) for a, found in duplicates.items() for b in found}


def inline_roots(duplicates: dict[str, list[str]], order: list[str]) -> dict[str, str]:
    """Keep-the-first decisions from imagededup's map: a file joins the first kept file it lists."""
    root_of: dict[str, str] = {}
    kept: set[str] = set()
    for name in order:
        earlier = [other for other in duplicates.get(name, []) if other in kept]
        first = min(earlier, key=order.index) if earlier else None
        root_of[name] = name if first is None else first
        if first is None:
            kept.add(name)
    return root_of


def score(predicted: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    """Precision, recall and F1 of predicted pairs."""
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def recall_by_kind(root_of: dict[str, str], files: list[dict[str, object]]) -> dict[str, float]:
    """Share of each variant kind that ended in the same predicted group as its original."""
    original = {entry["group"]: entry["file"] for entry in files if entry["kind"] == "original"}
    found: dict[str, list[bool]] = defaultdict(list)
    for entry in files:
        if entry["kind"] in ("original", "pan", "stereo"):
            continue
        name, source = str(entry["file"]), str(original[entry["group"]])
        found[str(entry["kind"])].append(root_of.get(name) == root_of.get(source) is not None)
    return {kind: sum(hits) / len(hits) for kind, hits in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    python = ensure_venv()
    record = ensure_set(python)
    files: list[dict[str, object]] = record["files"]  # type: ignore[assignment]
    order = sorted(str(entry["file"]) for entry in files)
    random.Random(ORDER_SEED).shuffle(order)
    truth = truth_pairs(files)
    print(f"set: {record['originals']} originals, {len(files)} files, {len(truth)} true pairs")
    rows: list[tuple[str, tuple[float, float, float]]] = []
    ours, taken = pixcrawler_roots(order)
    rows.append(("pixcrawler (inline, default level)", score(clusters_to_pairs(ours), truth)))
    for method, duplicates in imagededup_maps(python).items():
        rows.append((f"imagededup {method} (its pairs)", score(symmetric_pairs(duplicates), truth)))
        inline = clusters_to_pairs(inline_roots(duplicates, order))
        rows.append((f"imagededup {method} (inline)", score(inline, truth)))
    print(f"{'method':40} precision  recall  F1")
    for name, (precision, recall, f1) in rows:
        print(f"{name:40} {precision:9.3f} {recall:7.3f} {f1:6.3f}")
    print(f"pixcrawler validated {taken:.1%} of the files at the default level")
    kinds = recall_by_kind(ours, files)
    print("pixcrawler recall by variant: " + ", ".join(f"{k} {v:.2f}" for k, v in kinds.items()))
    best_peer = max(f1 for name, (_, _, f1) in rows[1:])
    print(f"F1: pixcrawler {rows[0][1][2]:.3f}, best imagededup {best_peer:.3f}")
    print(f"ratio: {rows[0][1][2] / best_peer:.2f}")


if __name__ == "__main__":
    main()
