"""A completed job's exports: archives (packaged by a worker), metadata tables, report, shards.

Archives are made by the ``package_dataset`` task and kept in storage (``archives/<job>/``);
the rest is derived here on first request and kept under ``exports/<job>/``. A review drops
both (``reviews.drop_derived``), so nothing stale is served.
"""

import csv
import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pixcrawler.backend.db import utcnow
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.services.reviews import dataset_prefix
from pixcrawler.utility.compress import ARCHIVE_FORMATS, write_webdataset
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.utility.report import write_report

logger = get_logger(__name__)

MetadataFormat = Literal["jsonl", "csv", "parquet"]
METADATA_FORMATS: tuple[MetadataFormat, ...] = ("jsonl", "csv", "parquet")
_SUFFIXES = {"zip": ".zip", "7z": ".7z", "tar.zst": ".tar.zst"}
#: A packaging request younger than this is not sent again (the worker is on it).
PACKAGING_PATIENCE = timedelta(minutes=10)


def archive_key(job_id: str, fmt: str) -> str:
    """Where ``package_job`` stores the job's archive of format ``fmt``."""
    return f"archives/{job_id}/{job_id}{_SUFFIXES[fmt]}"


def request_archive(ctx: JobContext, *, job_id: str, fmt: str) -> str | None:
    """The archive's key if it is in storage; otherwise send its packaging task (once per
    :data:`PACKAGING_PATIENCE`) and return None."""
    if fmt not in ARCHIVE_FORMATS:
        raise ValueError(f"unknown archive format {fmt!r}")
    key = archive_key(job_id, fmt)
    if ctx.storage.exists(key):
        return key
    marker = f"exports/{job_id}/packaging-{fmt.replace('.', '-')}"
    if ctx.storage.exists(marker):
        sent = float(ctx.storage.get(marker).decode() or 0)
        if utcnow().timestamp() - sent < PACKAGING_PATIENCE.total_seconds():
            return None
    from pixcrawler.celery_app import send_package  # sent by name: no task module imported

    stamp = utcnow().timestamp()
    ctx.storage.put(marker, str(stamp).encode())
    send_package(job_id, fmt, task_id=f"{job_id}-package-{fmt}-{int(stamp)}")
    return None


def metadata_key(ctx: JobContext, *, job_id: str, fmt: MetadataFormat) -> str:
    """The job's ``metadata.jsonl`` as ``fmt``, made on first request; its key."""
    source = dataset_prefix(job_id) + "metadata.jsonl"
    if fmt == "jsonl":
        return source
    key = f"exports/{job_id}/metadata.{fmt}"
    if ctx.storage.exists(key):
        return key
    rows = [json.loads(line) for line in ctx.storage.get(source).splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"metadata.{fmt}"
        (_write_csv if fmt == "csv" else _write_parquet)(rows, path)
        ctx.storage.put(key, path)
    return key


def _write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.DictWriter(sink, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
            )


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


def report_key(ctx: JobContext, *, job_id: str) -> str:
    """The job's ``report.html`` (self-contained), made from the dataset tree on first request."""
    key = f"exports/{job_id}/report.html"
    if not ctx.storage.exists(key):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / job_id
            ctx.storage.get_tree(dataset_prefix(job_id).rstrip("/"), root)
            ctx.storage.put(key, write_report(root).html)
    return key


def webdataset_keys(ctx: JobContext, *, job_id: str) -> list[str]:
    """The job's WebDataset shards (``<job>-000000.tar``…), written on first request."""
    prefix = f"exports/{job_id}/webdataset/"
    keys = list(ctx.storage.list(prefix))
    if keys:
        return keys
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / job_id
        ctx.storage.get_tree(dataset_prefix(job_id).rstrip("/"), root)
        for shard in write_webdataset(root, Path(folder) / "shards"):
            ctx.storage.put(prefix + shard.name, shard)
            keys.append(prefix + shard.name)
    logger.bind(operation="export", job_id=job_id, export_format="webdataset").info(
        "webdataset written"
    )
    return keys
