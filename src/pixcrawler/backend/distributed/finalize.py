"""Finish a job: deduplicate across chunks, export the dataset files, package the hot ZIP."""

import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, update

from pixcrawler.backend.db.chunks import chunk_counts
from pixcrawler.backend.db.jobs import complete_job_if_done, get_job
from pixcrawler.backend.db.models import ChunkStatus, Image, JobStatus
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder import _state
from pixcrawler.builder._exports import export_dataset
from pixcrawler.builder._labels import LABEL_FORMATS
from pixcrawler.builder.slug import unique_slugs
from pixcrawler.utility.compress import package_dataset
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.utility.report import write_report
from pixcrawler.validator.dedup import DedupIndex

logger = get_logger(__name__)

_OPEN_JOB = (JobStatus.PENDING, JobStatus.RUNNING)
_OPEN_CHUNK = (ChunkStatus.PENDING, ChunkStatus.RUNNING)


def finalize_job(ctx: JobContext, *, job_id: str) -> bool:
    """Merge the chunks' rows into one dataset in storage; True once the job is completed.

    A job already final (completed, failed, cancelled) is left alone, so a late second
    finalize (the older chord of a resumed job) repeats no work and a cancelled job is not packed.
    """
    with session_scope(ctx.sessions) as session:
        status = get_job(session, job_id=job_id).status
    if status not in _OPEN_JOB:
        logger.bind(operation="export", job_id=job_id, status=status).info("job already final")
        return False
    demoted = demote_duplicates(ctx, job_id=job_id)
    rows = export_labels(ctx, job_id=job_id)
    _package(ctx, job_id)
    with session_scope(ctx.sessions) as session:
        done = complete_job_if_done(session, job_id=job_id)
    logger.bind(operation="export", job_id=job_id, rows=rows, demoted=demoted).info("job finalized")
    return done


def open_chunk_count(ctx: JobContext, *, job_id: str) -> int:
    """How many of the job's chunks are not settled yet (pending or running)."""
    with session_scope(ctx.sessions) as session:
        counts = chunk_counts(session, job_id=job_id)
    return sum(counts.get(status, 0) for status in _OPEN_CHUNK)


def chord_broken_by_failure(ctx: JobContext, *, job_id: str) -> bool:
    """Whether the open job's chunks are all settled and one failed: no chord callback will come."""
    with session_scope(ctx.sessions) as session:
        status = get_job(session, job_id=job_id).status
        counts = chunk_counts(session, job_id=job_id)
    settled = not any(counts.get(open_status, 0) for open_status in _OPEN_CHUNK)
    return status in _OPEN_JOB and settled and counts.get(ChunkStatus.FAILED, 0) > 0


def job_rows(ctx: JobContext, job_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job's spec and its image rows, in chunk order (the order dedup keeps the first of)."""
    with session_scope(ctx.sessions) as session:
        spec = dict(get_job(session, job_id=job_id).spec)
        images = session.scalars(
            select(Image).where(Image.job_id == job_id).order_by(Image.chunk_id, Image.id)
        ).all()
        return spec, [_as_row(image) for image in images]


def apply_changes(
    ctx: JobContext, rows: list[dict[str, Any]], changed: list[dict[str, Any]]
) -> None:
    """Store demoted rows' new status and reason; delete files no kept row points at."""
    with session_scope(ctx.sessions) as session:
        for row in changed:
            session.execute(
                update(Image).where(Image.id == row["id"])
                .values(status=row["status"], reason=row["reason"])
            )  # fmt: skip
    still_kept = {r["file_key"] for r in rows if r["status"] == "kept"}
    for row in changed:
        if row["file_key"] and row["file_key"] not in still_kept:
            ctx.storage.delete(row["file_key"])


def demote_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide dedup and per-class cap over every chunk's kept images; returns rows demoted."""
    spec, rows = job_rows(ctx, job_id)
    changed = _deduplicate(rows, ctx.settings.phash_threshold, spec.get("per_class"))
    apply_changes(ctx, rows, changed)
    return len(changed)


def export_labels(ctx: JobContext, *, job_id: str) -> int:
    """Write manifest, metadata and label files to the job's dataset in storage; rows written."""
    spec, rows = job_rows(ctx, job_id)
    _export_files(ctx, job_id, rows, tuple(spec.get("label_formats", LABEL_FORMATS)))
    return len(rows)


def package_warm(ctx: JobContext, *, job_id: str, fmt: str = "7z") -> str:
    """The warm archive of a finished job, stored with the Cool tier where supported."""
    return _package(ctx, job_id, fmt=fmt, tier="cool")


def export_job(ctx: JobContext, *, job_id: str, dest: Path) -> int:
    """Copy a finished job's dataset from storage into ``dest``, laid out as a local build."""
    count = int(ctx.storage.get_tree(f"jobs/{job_id}/dataset", dest))
    write_report(dest)
    logger.bind(operation="export", job_id=job_id, dest=str(dest), files=count).info("exported")
    return count


def _as_row(image: Image) -> dict[str, Any]:
    columns = [c.key for c in Image.__table__.columns]
    return {name: getattr(image, name) for name in columns}


def _deduplicate(
    rows: list[dict[str, Any]], threshold: int, per_class: int | None
) -> list[dict[str, Any]]:
    """Apply job-wide dedup and the per-class cap to kept rows, in chunk order."""
    index = DedupIndex(sqlite3.connect(":memory:"), threshold)
    kept: dict[str, int] = {}
    changed = []
    for row in rows:
        if row["status"] != "kept":
            continue
        match = index.find(row["sha256"], int(row["phash"], 16))
        if match is not None:
            row["status"], row["reason"] = (
                "duplicate",
                f"{match.kind} duplicate of {match.file_name}",
            )
            row["duplicate_of"] = match.file_name
        elif per_class is not None and kept.get(row["label"], 0) >= per_class:
            row["status"], row["reason"] = "filtered", "per-class limit reached"
        else:
            index.add(row["sha256"], int(row["phash"], 16), row["label"], _file_name(row))
            kept[row["label"]] = kept.get(row["label"], 0) + 1
            continue
        changed.append(row)
    return changed


def _file_name(row: dict[str, Any]) -> str:
    return str(row["file_key"]).split("/", 3)[3]  # jobs/<id>/dataset/images/... → images/...


def _export_files(
    ctx: JobContext, job_id: str, rows: list[dict[str, Any]], formats: tuple[str, ...]
) -> None:
    """Write the exports through the in-process exporters, so both layouts are identical."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        conn = _state.open_state(root)
        slugs = unique_slugs(row["label"] for row in rows if row["status"] == "kept")
        for seq, row in enumerate(rows):
            _state.upsert(conn, _state_row(row, seq))
        conn.commit()
        export_dataset(root, conn, slugs, formats)
        conn.close()
        for path in [root / "manifest.jsonl", root / "metadata.jsonl", *root.glob("labels/*")]:
            ctx.storage.put(f"jobs/{job_id}/dataset/{path.relative_to(root).as_posix()}", path)


def _state_row(row: dict[str, Any], seq: int) -> tuple[Any, ...]:
    values = {name: row.get(name) for name in _state.COLUMNS}
    values.update(
        retryable=0, seq=seq, quality=None,
        file_name=_file_name(row) if row["status"] == "kept" else None,
        cross_class=0, duplicate_of=row.get("duplicate_of"),
    )  # fmt: skip
    return tuple(values[name] for name in _state.COLUMNS)


def _package(
    ctx: JobContext, job_id: str, fmt: str = "zip", tier: Literal["hot", "cool"] = "hot"
) -> str:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / job_id
        ctx.storage.get_tree(f"jobs/{job_id}/dataset", root)
        result = package_dataset(root, fmt=fmt)  # type: ignore[arg-type]
        key = f"archives/{job_id}/{result.path.name}"
        ctx.storage.put(key, result.path, tier=tier)
        ctx.storage.put(f"{key}.sha256", result.sidecar)
        return key
