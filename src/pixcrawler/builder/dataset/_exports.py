"""Export manifest rows to the files users load: manifest, HF metadata and label files."""

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from pixcrawler.builder.dataset._labels import LabelRow, write_label_files
from pixcrawler.records import ManifestRow, Status

MANIFEST_FIELDS = (
    "url", "label", "status", "reason", "attempts", "source", "query", "file_name", "sha256",
    "duplicate_of", "cross_class", "quality",
)  # fmt: skip
METADATA_FIELDS = (
    "file_name", "label", "source_url", "sha256", "phash", "width", "height", "format",
    "source", "query", "page_url", "title", "license", "license_url", "attribution",
)  # fmt: skip


def export_dataset(
    root: Path, rows: Iterable[ManifestRow], classes: Mapping[str, str], formats: tuple[str, ...]
) -> None:
    """Rewrite ``manifest.jsonl``, ``metadata.jsonl`` and ``labels/*`` from ``rows``.

    ``rows`` is read once, in the order the manifest lists them, and nothing is held per row,
    so memory stays flat for any dataset (a generator over a database cursor is the usual
    argument). ``classes`` maps each class label to its folder slug: class indices follow the
    sorted folder names, exactly as torchvision's ImageFolder numbers them. Every file is
    written under a temporary name and renamed into place only once all of them succeeded.
    """
    ordered = sorted(classes, key=lambda label: classes[label])
    index = {label: position for position, label in enumerate(ordered)}
    with ExitStack() as stack:
        manifest = stack.enter_context(_Replacement(root / "manifest.jsonl"))
        metadata = stack.enter_context(_Replacement(root / "metadata.jsonl"))
        labels = _label_rows(rows, index, manifest.stream, metadata.stream)
        write_label_files(root / "labels", labels, ordered, formats)


def _label_rows(
    rows: Iterable[ManifestRow], index: Mapping[str, int], manifest: TextIO, metadata: TextIO
) -> Iterator[LabelRow]:
    # One pass feeds all three exports: the label writer pulls rows, each row's manifest and
    # metadata lines are written on the way.
    for row in rows:
        _write_line(manifest, manifest_record(row))
        if row.status is not Status.KEPT or row.file_name is None:
            continue
        _write_line(metadata, metadata_record(row))
        yield LabelRow(
            file_name=row.file_name, label=row.label, class_index=index[row.label],
            width=row.width or 0, height=row.height or 0, sha256=row.sha256 or "",
            source_url=row.url,
        )  # fmt: skip


def manifest_record(row: ManifestRow) -> dict[str, Any]:
    """The ``manifest.jsonl`` object of ``row``."""
    record = {name: getattr(row, name) for name in MANIFEST_FIELDS}
    record["status"] = str(row.status)
    return record


def metadata_record(row: ManifestRow) -> dict[str, Any]:
    """The ``metadata.jsonl`` object (Hugging Face imagefolder) of a kept ``row``."""
    return {
        name: row.url if name == "source_url" else getattr(row, name) for name in METADATA_FIELDS
    }


def _write_line(stream: TextIO, record: dict[str, Any]) -> None:
    stream.write(json.dumps(record, ensure_ascii=False) + "\n")


class _Replacement:
    """A file written under ``<name>.part`` and renamed onto ``path`` if the block succeeds."""

    def __init__(self, path: Path) -> None:
        self.path, self.partial = path, path.with_name(path.name + ".part")

    def __enter__(self) -> "_Replacement":
        self.stream = self.partial.open("w", encoding="utf-8")
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.stream.close()
        if kind is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)
