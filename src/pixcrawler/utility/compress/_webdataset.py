"""Write a dataset as WebDataset tar shards (``key.<ext>``, ``key.cls``, ``key.json``)."""

import csv
import io
import json
import os
import secrets
import tarfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import yaml

from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._selection import require_dataset
from pixcrawler.utility.logging_config import get_logger, operation_logger

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Sample:
    key: str
    image: Path
    extension: str
    class_index: int
    row: dict[str, Any]


def write_webdataset(root: Path, out_dir: Path, *, shard_size: int = 1000) -> list[Path]:
    """Write the kept images of ``root`` as ``out_dir/<name>-000000.tar``, ``-000001.tar``, ...

    Each image becomes three members sharing its key (the file stem, a SHA-256 prefix):
    ``key.<ext>`` (its bytes as stored), ``key.cls`` (class index as text, the order of
    ``labels/classes.*``) and ``key.json`` (its ``metadata.jsonl`` row). Samples follow
    ``metadata.jsonl``, so the same dataset always gives the same shards. Shards are written
    under temporary names and renamed together at the end; older shards past the new last
    one are removed.

    Raises:
        PackagingError: not a dataset, no class list, a row naming a missing file or an
            unknown class, two images with the same key, or ``shard_size`` below 1.
    """
    if shard_size < 1:
        raise PackagingError(f"shard_size must be at least 1, not {shard_size}")
    root = root.resolve()
    require_dataset(root)
    classes = {name: index for index, name in enumerate(read_classes(root / "labels"))}
    log = operation_logger("compression", format="webdataset", dataset=str(root))
    log.bind(out_dir=str(out_dir), shard_size=shard_size).info("webdataset started")
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        shards, files = _write_shards(_samples(root, classes), out_dir, root.name, shard_size)
    except Exception as exc:
        seconds = round(time.perf_counter() - started, 3)
        log.bind(
            error_type=type(exc).__name__, error=str(exc), resource_id=str(root),
            retry_count=0, seconds=seconds,
        ).error("webdataset failed")  # fmt: skip
        if isinstance(exc, OSError):
            raise PackagingError(f"cannot write shards of {root}: {exc}") from exc
        raise
    bytes_out = sum(shard.stat().st_size for shard in shards)
    seconds = round(time.perf_counter() - started, 3)
    log.bind(files=files, shards=len(shards), bytes_out=bytes_out, seconds=seconds).info(
        "webdataset finished"
    )
    return shards


def read_classes(labels: Path) -> list[str]:
    """Class names in index order from ``classes.json`` (or ``.yaml``, ``.csv``, ``.txt``)."""
    for suffix in ("json", "yaml", "csv", "txt"):
        path = labels / f"classes.{suffix}"
        if path.is_file():
            try:
                return _parse_classes(path.read_text(encoding="utf-8"), suffix)
            except (ValueError, TypeError, IndexError, yaml.YAMLError) as exc:
                raise PackagingError(f"cannot read the class list {path}: {exc}") from exc
    raise PackagingError(f"no class list in {labels} (classes.json, .yaml, .csv or .txt)")


def _parse_classes(text: str, suffix: str) -> list[str]:
    if suffix == "json":
        return [str(name) for name in json.loads(text)]
    if suffix == "yaml":
        return [str(name) for name in yaml.safe_load(text) or []]
    if suffix == "csv":
        return [row[1] for row in list(csv.reader(io.StringIO(text)))[1:]]
    return text.splitlines()


def _samples(root: Path, classes: dict[str, int]) -> Iterator[_Sample]:
    seen: set[str] = set()
    with (root / "metadata.jsonl").open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                sample = _sample(root, classes, _row(line, number), number)
                if sample.key in seen:
                    raise PackagingError(f"metadata.jsonl line {number}: key {sample.key} repeats")
                seen.add(sample.key)
                yield sample


def _row(line: str, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PackagingError(f"metadata.jsonl line {number} is not JSON: {exc}") from exc
    if not isinstance(row, dict):
        raise PackagingError(f"metadata.jsonl line {number} is not a JSON object")
    return row


def _sample(root: Path, classes: dict[str, int], row: dict[str, Any], number: int) -> _Sample:
    file_name, label = row.get("file_name"), row.get("label")
    where = f"metadata.jsonl line {number}"
    if not isinstance(file_name, str) or not (root / file_name).is_file():
        raise PackagingError(f"{where}: no image file {file_name!r}")
    if label not in classes:
        raise PackagingError(f"{where}: label {label!r} is not in the class list")
    path = PurePosixPath(file_name)
    # WebDataset splits a member name at the first dot of its base name: keep keys dot-free.
    key = path.stem.replace(".", "_")
    return _Sample(key, root / file_name, path.suffix.lower().lstrip("."), classes[label], row)


def _write_shards(
    samples: Iterable[_Sample], out_dir: Path, name: str, size: int
) -> tuple[list[Path], int]:
    """Write the shards, then rename them all into place; returns them and the sample count."""
    finals: list[Path] = []
    count = 0
    partials: list[Path] = []
    iterator = iter(samples)
    try:
        while chunk := list(islice(iterator, size)):
            finals.append(out_dir / f"{name}-{len(finals):06d}.tar")
            partials.append(out_dir / f".{finals[-1].name}.{secrets.token_hex(4)}.tmp")
            _write_shard(partials[-1], chunk)
            count += len(chunk)
        for partial, final in zip(partials, finals, strict=True):
            os.replace(partial, final)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    _remove_stale(out_dir, name, len(finals))
    return finals, count


def _write_shard(path: Path, samples: list[_Sample]) -> None:
    with tarfile.open(path, "x", format=tarfile.PAX_FORMAT) as shard:
        for sample in samples:
            with sample.image.open("rb") as image:
                stat = os.fstat(image.fileno())
                _add(shard, f"{sample.key}.{sample.extension}", image, stat.st_size, stat.st_mtime)
            cls = str(sample.class_index).encode()
            _add(shard, f"{sample.key}.cls", io.BytesIO(cls), len(cls), stat.st_mtime)
            row = json.dumps(sample.row, ensure_ascii=False).encode("utf-8")
            _add(shard, f"{sample.key}.json", io.BytesIO(row), len(row), stat.st_mtime)


def _add(shard: tarfile.TarFile, name: str, data: BinaryIO, size: int, mtime: float) -> None:
    """Add a member with neutral owner and mode, so shards do not depend on who wrote them."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    shard.addfile(info, data)


def _remove_stale(out_dir: Path, name: str, count: int) -> None:
    """Delete shards a previous, larger run left after the new last one."""
    index = count
    while (stale := out_dir / f"{name}-{index:06d}.tar").is_file():
        stale.unlink()
        index += 1
