"""Build an exported dataset by hand: real JPEGs plus manifest, metadata and classes.json rows."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.images import make_jpeg

SCRIPT_LABEL = "<script>alert(1)</script>"
RTL_LABEL = "🐈 قطة"
BY_URL = "https://creativecommons.org/licenses/by/4.0/"
BY_SA_URL = "https://creativecommons.org/licenses/by-sa/4.0/"


@dataclass
class DatasetBuilder:
    """Writes kept images and manifest/metadata rows in the exporter's exact formats."""

    root: Path
    manifest: list[dict[str, Any]] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    folders: dict[str, str] = field(default_factory=dict)
    seed: int = 0

    def keep(self, label: str, folder: str, source: str, **extra: Any) -> str:
        """Write a JPEG under ``images/<folder>/`` and record it as kept; returns its file name."""
        self.seed += 1
        sha = hashlib.sha256(str(self.seed).encode()).hexdigest()
        file_name = f"images/{folder}/{sha[:20]}.jpg"
        path = self.root / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = extra.pop("body", None)
        path.write_bytes(body if body is not None else make_jpeg(self.seed, (120 + self.seed, 90)))
        url = f"https://img.example/{folder}/{self.seed}.jpg"
        self.folders[label] = folder
        self.manifest.append(_manifest(url, label, "kept", "kept", source, file_name, sha))
        meta = {
            "file_name": file_name, "label": label, "source_url": url, "sha256": sha,
            "phash": "0" * 16, "width": 120 + self.seed, "height": 90, "format": "JPEG",
            "source": source, "query": label, "page_url": None, "title": None,
            "license": None, "license_url": None, "attribution": None,
        }  # fmt: skip
        meta.update(extra)
        self.metadata.append(meta)
        return file_name

    def reject(self, label: str, status: str, reason: str, source: str, **extra: Any) -> None:
        """Record a candidate that was not kept."""
        self.seed += 1
        url = extra.pop("url", f"https://img.example/rejected/{self.seed}.jpg")
        sha = extra.pop("sha256", None)
        row = _manifest(url, label, status, reason, source, None, sha)
        row.update(extra)
        self.manifest.append(row)

    def write(self, *, classes: bool = True) -> Path:
        """Write manifest.jsonl, metadata.jsonl and (unless told not to) labels/classes.json."""
        _write_jsonl(self.root / "manifest.jsonl", self.manifest)
        _write_jsonl(self.root / "metadata.jsonl", self.metadata)
        if classes:
            ordered = sorted(self.folders, key=lambda label: self.folders[label])
            (self.root / "labels").mkdir(exist_ok=True)
            (self.root / "labels" / "classes.json").write_text(
                json.dumps(ordered, ensure_ascii=False, indent=2), encoding="utf-8"
            )
        return self.root


def _manifest(
    url: str, label: str, status: str, reason: str, source: str, file_name: str | None, sha: Any
) -> dict[str, Any]:
    return {
        "url": url, "label": label, "status": status, "reason": reason, "attempts": 1,
        "source": source, "query": label, "file_name": file_name, "sha256": sha,
        "duplicate_of": None, "cross_class": False,
    }  # fmt: skip


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
