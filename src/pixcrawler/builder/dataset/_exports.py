"""Export the dataset state to the files users load: manifest, HF metadata and label files."""

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pixcrawler.builder.dataset import state as _state
from pixcrawler.builder.dataset._labels import LabelRow, write_label_files
from pixcrawler.records import Status

MANIFEST_FIELDS = (
    "url", "label", "status", "reason", "attempts", "source", "query", "file_name", "sha256",
    "duplicate_of", "cross_class", "quality",
)  # fmt: skip
METADATA_FIELDS = (
    "file_name", "label", "source_url", "sha256", "phash", "width", "height", "format",
    "source", "query", "page_url", "title", "license", "license_url", "attribution",
)  # fmt: skip


def export_dataset(
    root: Path, conn: sqlite3.Connection, slugs: Mapping[str, str], formats: tuple[str, ...]
) -> None:
    """Rewrite ``manifest.jsonl``, ``metadata.jsonl`` and ``labels/*`` from the state database."""
    _write_jsonl(root / "manifest.jsonl", (_manifest_row(r) for r in _state.iter_rows(conn)))
    kept = list(_state.iter_rows(conn, Status.KEPT))
    _write_jsonl(root / "metadata.jsonl", (_metadata_row(r) for r in kept))
    # Class indices follow the sorted folder names, exactly as torchvision's ImageFolder does.
    classes = sorted(slugs, key=lambda label: slugs[label])
    index = {label: i for i, label in enumerate(classes)}
    rows = (
        LabelRow(
            file_name=r["file_name"],
            label=r["label"],
            class_index=index[r["label"]],
            width=r["width"],
            height=r["height"],
            sha256=r["sha256"],
            source_url=r["url"],
        )
        for r in kept
    )
    write_label_files(root / "labels", rows, classes, formats)


def _manifest_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: row[name] for name in MANIFEST_FIELDS}
    out["cross_class"] = bool(row["cross_class"])
    out["quality"] = json.loads(row["quality"]) if row["quality"] else None
    return out


def _metadata_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: row.get(name) for name in METADATA_FIELDS}
    out["source_url"] = row["url"]
    return out


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    partial = path.with_name(path.name + ".part")
    with partial.open("w", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(partial, path)
