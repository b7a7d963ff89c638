"""Finish a job: deduplicate across chunks and export the dataset files to storage."""

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from pixcrawler.backend.db.jobs import complete_job_if_done, get_job
from pixcrawler.backend.db.models import Image
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.settle import job_settled
from pixcrawler.builder.dataset import LABEL_FORMATS, export_dataset
from pixcrawler.builder.dataset import state as _state
from pixcrawler.builder.dataset.slug import unique_slugs
from pixcrawler.utility.logging_config import get_logger, operation_logger
from pixcrawler.validator.dedup import DedupIndex

logger = get_logger(__name__)


def finalize_job(ctx: JobContext, *, job_id: str) -> bool:
    """Merge the chunks' rows into one dataset in storage; True if this call completed the job.

    Idempotent: a job already final (completed, failed, cancelled) is left alone, and a job with
    a chunk still open waits for it (its settling sends the finalize again), so a late or
    duplicated finalize repeats nothing and a cancelled job is not exported. Two copies running
    at once compute the same demotions and write the same files; one of them completes the job.
    The hot ZIP is not made here: the job is complete once its files are, and the caller sends
    the packaging task.
    """
    log = operation_logger("export")
    with session_scope(ctx.sessions) as session:
        status = get_job(session, job_id=job_id).status
        settled = job_settled(session, job_id=job_id)
    if not settled:
        log.bind(status=status).info("job not ready to finalize (final, or chunks still open)")
        return False
    spec, rows = job_rows(ctx, job_id)  # read once: dedup demotes in place, exports follow
    demoted = _demote(ctx, spec, rows)
    _export_rows(ctx, job_id, spec, rows)
    with session_scope(ctx.sessions) as session:
        done = complete_job_if_done(session, job_id=job_id)
    log.bind(rows=len(rows), demoted=demoted, completed=done).info("job finalized")
    return done


def job_rows(ctx: JobContext, job_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job's spec and its image rows, in chunk order (the order dedup keeps the first of)."""
    table = Image.__table__
    with session_scope(ctx.sessions) as session:
        spec = dict(get_job(session, job_id=job_id).spec)
        images = session.execute(
            select(table).where(table.c.job_id == job_id).order_by(table.c.chunk_id, table.c.id)
        ).mappings()
        return spec, [dict(image) for image in images]


def apply_changes(
    ctx: JobContext, rows: list[dict[str, Any]], changed: list[dict[str, Any]]
) -> None:
    """Store demoted rows' new status, reason and original; delete files no kept row points at."""
    if changed:
        values = [
            {"id": row["id"], "status": row["status"], "reason": row["reason"],
             "duplicate_of": row.get("duplicate_of")}
            for row in changed
        ]  # fmt: skip
        with session_scope(ctx.sessions) as session:
            session.execute(update(Image), values)  # one executemany, by primary key
    still_kept = {r["file_key"] for r in rows if r["status"] == "kept"}
    for row in changed:
        if row["file_key"] and row["file_key"] not in still_kept:
            ctx.storage.delete(row["file_key"])


def demote_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide dedup and per-class cap over every chunk's kept images; returns rows demoted."""
    spec, rows = job_rows(ctx, job_id)
    return _demote(ctx, spec, rows)


def export_labels(ctx: JobContext, *, job_id: str) -> int:
    """Write manifest, metadata and label files to the job's dataset in storage; rows written."""
    spec, rows = job_rows(ctx, job_id)
    _export_rows(ctx, job_id, spec, rows)
    return len(rows)


def _demote(ctx: JobContext, spec: dict[str, Any], rows: list[dict[str, Any]]) -> int:
    changed = _deduplicate(rows, ctx.settings.phash_threshold, spec.get("per_class"))
    apply_changes(ctx, rows, changed)
    return len(changed)


def _export_rows(
    ctx: JobContext, job_id: str, spec: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    _export_files(ctx, job_id, rows, tuple(spec.get("label_formats", LABEL_FORMATS)))


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
