"""Write a dataset's label and class-list files (json, csv, yaml, txt), each one atomically."""

import csv
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol, TextIO

import yaml

from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

LABEL_FORMATS = ("json", "csv", "yaml", "txt")
# libyaml's safe dumper is ~10x faster than the pure-Python one; same output, same safety.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: Rows per ``yaml.dump`` call in ``labels.yaml`` (memory stays bounded for any dataset size).
_YAML_BATCH = 1024
# Tabs and everything str.splitlines() breaks on, so a txt row stays one line of three fields.
_TXT_UNSAFE = re.compile("[\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One kept image as the label files describe it; ``file_name`` is relative to the root."""

    file_name: str
    label: str
    class_index: int
    width: int
    height: int
    sha256: str
    source_url: str


LABEL_FIELDS = tuple(f.name for f in fields(LabelRow))


class _RowSink(Protocol):
    def write(self, row: LabelRow) -> None: ...

    def finish(self) -> None: ...


def write_label_files(
    out_dir: Path, rows: Iterable[LabelRow], classes: Sequence[str], formats: Iterable[str]
) -> list[Path]:
    """Write ``labels.<fmt>`` and ``classes.<fmt>`` into ``out_dir`` for each format, in one pass.

    ``rows`` is read once, so it may be a generator; every format is written row by row. Files
    are written to temporary names and renamed into place only once everything succeeded, so a
    failure leaves the previous files untouched. The layouts:

    - ``labels.json``: a list of objects with the :class:`LabelRow` fields;
      ``classes.json``: the list of class names in index order.
    - ``labels.csv``: a header row then one row per image; ``classes.csv``: ``index,name``.
    - ``labels.yaml``: a list of mappings; ``classes.yaml``: a list of names.
    - ``labels.txt``: ``file_name<TAB>class_index<TAB>label`` lines, no header;
      ``classes.txt``: one name per line, line N (from 0) is class N. Tabs and line breaks in
      names become spaces here only, so use another format if names may contain them.

    Args:
        out_dir: the directory to write into (usually ``DATASET/labels``); created if missing.
        rows: the kept images; ``classes[row.class_index]`` must equal ``row.label``.
        classes: unique class names; the position of a name is its class index.
        formats: any of :data:`LABEL_FORMATS`; repeats are ignored.

    Returns:
        The paths written, ``labels.<fmt>`` then ``classes.<fmt>`` for each format in order.

    Raises:
        ValueError: an unknown format, repeated class names, or a row whose index and label
            disagree with ``classes`` (nothing is written then).
    """
    chosen = _check_formats(formats)
    names = _check_classes(classes)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / f"{kind}.{fmt}" for fmt in chosen for kind in ("labels", "classes")]
    with ExitStack() as stack:
        # Every file stays a temporary until the block ends, so a failure anywhere renames none.
        sinks = [
            _SINKS[fmt](stack.enter_context(_atomic_text(out_dir / f"labels.{fmt}")))
            for fmt in chosen
        ]
        count = _write_rows(rows, names, sinks)
        for fmt in chosen:
            handle = stack.enter_context(_atomic_text(out_dir / f"classes.{fmt}"))
            _CLASS_WRITERS[fmt](handle, names)
    logger.bind(out_dir=str(out_dir), formats=chosen, rows=count).debug("label files written")
    return written


def _check_formats(formats: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(fmt.lower() for fmt in formats))
    unknown = [fmt for fmt in chosen if fmt not in LABEL_FORMATS]
    if unknown:
        raise ValueError(f"unknown label format(s) {unknown}; allowed: {', '.join(LABEL_FORMATS)}")
    return chosen


def _check_classes(classes: Sequence[str]) -> list[str]:
    names = list(classes)
    repeated = sorted(name for name, seen in Counter(names).items() if seen > 1)
    if repeated:
        raise ValueError(f"class names must be unique; repeated: {repeated}")
    return names


def _write_rows(rows: Iterable[LabelRow], names: Sequence[str], sinks: list[_RowSink]) -> int:
    count = 0
    for row in rows:
        if not 0 <= row.class_index < len(names) or names[row.class_index] != row.label:
            raise ValueError(
                f"{row.file_name}: class_index {row.class_index} does not name label {row.label!r}"
            )
        for sink in sinks:
            sink.write(row)
        count += 1
    for sink in sinks:
        sink.finish()
    return count


@contextmanager
def _atomic_text(path: Path) -> Iterator[TextIO]:
    """Open a sibling temporary file for writing; on success fsync and rename it onto ``path``."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with partial.open("x", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class _JsonSink:
    """Writes a JSON list one object per line, so the whole list never sits in memory."""

    def __init__(self, handle: TextIO) -> None:
        self.handle, self.empty = handle, True

    def write(self, row: LabelRow) -> None:
        self.handle.write("[\n  " if self.empty else ",\n  ")
        self.handle.write(json.dumps(_record(row), ensure_ascii=False))
        self.empty = False

    def finish(self) -> None:
        self.handle.write("[]\n" if self.empty else "\n]\n")


class _CsvSink:
    def __init__(self, handle: TextIO) -> None:
        self.writer = csv.writer(handle, lineterminator="\n")
        self.writer.writerow(LABEL_FIELDS)

    def write(self, row: LabelRow) -> None:
        self.writer.writerow(_record(row).values())

    def finish(self) -> None:
        pass


class _YamlSink:
    """Appends block lists of up to ``_YAML_BATCH`` rows; concatenated, they form one YAML list.

    One ``yaml.dump`` per row spent more on setting up the emitter than on the row.
    """

    def __init__(self, handle: TextIO) -> None:
        self.handle, self.empty = handle, True
        self.batch: list[dict[str, object]] = []

    def write(self, row: LabelRow) -> None:
        self.batch.append(_record(row))
        if len(self.batch) >= _YAML_BATCH:
            self._flush()

    def finish(self) -> None:
        self._flush()
        if self.empty:
            self.handle.write("[]\n")

    def _flush(self) -> None:
        if self.batch:
            yaml.dump(self.batch, self.handle, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
            self.batch, self.empty = [], False


class _TxtSink:
    def __init__(self, handle: TextIO) -> None:
        self.handle = handle

    def write(self, row: LabelRow) -> None:
        self.handle.write(
            f"{_one_line(row.file_name)}\t{row.class_index}\t{_one_line(row.label)}\n"
        )

    def finish(self) -> None:
        pass


def _record(row: LabelRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in LABEL_FIELDS}


def _one_line(text: str) -> str:
    return _TXT_UNSAFE.sub(" ", text)


def _classes_json(handle: TextIO, names: Sequence[str]) -> None:
    json.dump(list(names), handle, ensure_ascii=False, indent=2)
    handle.write("\n")


def _classes_csv(handle: TextIO, names: Sequence[str]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(("index", "name"))
    writer.writerows(enumerate(names))


def _classes_yaml(handle: TextIO, names: Sequence[str]) -> None:
    yaml.dump(list(names), handle, Dumper=_DUMPER, allow_unicode=True)


def _classes_txt(handle: TextIO, names: Sequence[str]) -> None:
    handle.writelines(f"{_one_line(name)}\n" for name in names)


_SINKS: dict[str, Callable[[TextIO], _RowSink]] = {
    "json": _JsonSink,
    "csv": _CsvSink,
    "yaml": _YamlSink,
    "txt": _TxtSink,
}
_CLASS_WRITERS: dict[str, Callable[[TextIO, Sequence[str]], None]] = {
    "json": _classes_json,
    "csv": _classes_csv,
    "yaml": _classes_yaml,
    "txt": _classes_txt,
}
