"""Run one chunk on a worker: the in-process pipeline on its candidates, then store the results.

Idempotent: images go to content-addressed storage keys (an existing key is not rewritten),
and rows and counters are written in the transaction that settles the chunk, only if this
run settles it — so a chunk redelivered after its worker died writes nothing twice, and a
chunk cancelled meanwhile records nothing. The run that settles the job's last open chunk says
so (``ChunkRun.last``): its task sends ``finalize_job``.
"""

import asyncio
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pixcrawler.backend.db.chunks import claim_chunk
from pixcrawler.backend.db.images import record_images
from pixcrawler.backend.db.jobs import bump_counters, get_job
from pixcrawler.backend.db.models import Chunk, ChunkStatus
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed._links import store_once
from pixcrawler.backend.distributed.settle import NOT_SETTLED, Settlement, settle_chunk
from pixcrawler.builder import BuildOptions, build_dataset
from pixcrawler.builder.dataset import state as _state
from pixcrawler.builder.discovery import KeywordPlan
from pixcrawler.records import Candidate
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.levels import ValidationLevel

logger = get_logger(__name__)

_ROW_FIELDS = (
    "url", "label", "status", "reason", "attempts", "source", "query", "page_url", "title",
    "sha256", "phash", "width", "height", "format", "license", "license_url", "attribution",
)  # fmt: skip
_COUNTED = {"kept": "kept", "download_failed": "failed", "duplicate": "duplicates",
            "invalid": "invalid", "filtered": "filtered"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChunkRun:
    """What one run of a chunk did: images kept (None: nothing to do) and how it settled."""

    kept: int | None
    settlement: Settlement = NOT_SETTLED

    @property
    def last(self) -> bool:
        """This run settled the job's last open chunk: the job is ready to finalize."""
        return self.settlement.last


def run_chunk(ctx: JobContext, *, job_id: str, chunk_id: int, task_id: str) -> ChunkRun:
    """Build one chunk and record it, if this run claims it and it is still running at the end."""
    with session_scope(ctx.sessions) as session:
        chunk = claim_chunk(session, chunk_id=chunk_id, task_id=task_id)
        if chunk is None:
            return ChunkRun(kept=None)
        kind, payload, index = chunk.kind, dict(chunk.payload), chunk.index
        spec = dict(get_job(session, job_id=job_id).spec)
    log = logger.bind(operation="chunk", job_id=job_id, chunk_id=chunk_id)
    with _workdir(ctx, job_id, index) as workdir:
        rows = _build(ctx, workdir, kind, payload, spec)
        if not _still_running(ctx, chunk_id):
            log.info("chunk cancelled or settled meanwhile; nothing stored")
            return ChunkRun(kept=None)
        for row in rows:
            file_name = row.pop("file_name")
            if row["status"] == "kept":
                row["file_key"] = _upload(ctx, job_id, workdir, file_name)
    with session_scope(ctx.sessions) as session:
        settlement = settle_chunk(session, job_id=job_id, chunk_id=chunk_id)
        if settlement.settled:
            record_images(session, job_id=job_id, chunk_id=chunk_id, rows=rows)
            counts = Counter(_COUNTED[row["status"]] for row in rows)
            bump_counters(session, job_id=job_id, candidates=len(rows), **counts)
    kept = sum(1 for row in rows if row["status"] == "kept")
    log.bind(kept=kept, settled=settlement.settled, last=settlement.last).info("chunk done")
    return ChunkRun(kept, settlement)


@contextmanager
def _workdir(ctx: JobContext, job_id: str, index: int) -> Iterator[Path]:
    # A folder per delivery: two copies of one chunk (a resumed task and its queued original)
    # may run at once on one host, and neither may delete the other's files.
    parent = ctx.settings.data_dir / "chunks" / job_id
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{index}-", dir=parent))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _still_running(ctx: JobContext, chunk_id: int) -> bool:
    # Uploads are skipped for a chunk cancelled (or settled by another copy) during its build.
    with session_scope(ctx.sessions) as session:
        status = session.scalar(select(Chunk.status).where(Chunk.id == chunk_id))
    return status == ChunkStatus.RUNNING


def _build(
    ctx: JobContext, workdir: Path, kind: str, payload: dict[str, Any], spec: dict[str, Any]
) -> list[dict[str, Any]]:
    source: KeywordPlan | list[Candidate]
    if kind == "discover":
        source = KeywordPlan(
            (payload["label"],), tuple(spec["engines"]), tuple(spec.get("licenses", ())),
            seed=int(spec.get("seed", 0)), max_variations=spec.get("variations"),
            queries={payload["label"]: tuple(payload["queries"])} if "queries" in payload else None,
        )  # fmt: skip
    else:
        source = [Candidate(**candidate) for candidate in payload["candidates"]]
    level = spec.get("validation_level")
    options = BuildOptions(
        per_class=spec.get("per_class") if kind == "discover" else None,
        label_formats=("json",),
        validation_level=ValidationLevel(level) if level else None,
        report=False,
    )
    writer = asyncio.run(build_dataset(source, workdir, ctx.settings, options))
    try:
        return [
            {name: row[name] for name in (*_ROW_FIELDS, "file_name")}
            for row in _state.iter_rows(writer.conn)
        ]
    finally:
        writer.close()


def _upload(ctx: JobContext, job_id: str, workdir: Path, file_name: str) -> str:
    # Content-addressed, straight into the dataset tree: images/<slug>/<sha256[:20]>.<ext>.
    key = f"jobs/{job_id}/dataset/{file_name}"
    store_once(ctx.storage, key, workdir / file_name)  # a hard link into a local store
    return key
