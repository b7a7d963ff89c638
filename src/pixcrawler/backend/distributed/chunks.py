"""Run one chunk on a worker: the in-process pipeline on its candidates, then store the results.

Idempotent: images go to content-addressed storage keys (an existing key is not rewritten),
and rows and counters are written in the transaction that settles the chunk, only if this
run settles it — so a chunk redelivered after its worker died writes nothing twice, and a
chunk cancelled meanwhile records nothing. The run that settles the job's last open chunk says
so (``ChunkRun.last``): its task sends ``finalize_job``. The built rows are kept in storage
until recorded (``_results.py``), so a task retry after a database failure records them
instead of downloading the chunk again.
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

from pixcrawler.backend.db.chunks import WORKER_LOST, claim_chunk, worker_lost_too_often
from pixcrawler.backend.db.images import dataset_key, record_images
from pixcrawler.backend.db.jobs import bump_counters, job_spec
from pixcrawler.backend.db.models import IMAGE_COUNTERS, Chunk, ChunkStatus
from pixcrawler.backend.db.quotas import release_chunk_slots
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed._links import store_once
from pixcrawler.backend.distributed._results import (
    drop_results,
    load_results,
    results_key,
    save_results,
)
from pixcrawler.backend.distributed.quota import JobQuota
from pixcrawler.backend.distributed.settle import NOT_SETTLED, Settlement, settle_chunk
from pixcrawler.builder import build_dataset
from pixcrawler.builder.dataset import state as _state
from pixcrawler.builder.discovery import KeywordPlan
from pixcrawler.builder.jobspec import ChunkKind, JobSpec
from pixcrawler.errors import PixCrawlerError
from pixcrawler.records import Candidate, ManifestRow, Status
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """What a run needs of its chunk row, read once when it is claimed."""

    job_id: str
    chunk_id: int
    index: int
    kind: ChunkKind
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChunkRun:
    """What one run of a chunk did: images kept (None: nothing to do) and how it settled."""

    kept: int | None
    settlement: Settlement = NOT_SETTLED

    @property
    def last(self) -> bool:
        """This run settled the job's last open chunk: the job is ready to finalize."""
        return self.settlement.last


def run_chunk(
    ctx: JobContext, *, job_id: str, chunk_id: int, task_id: str, retries: int = 0
) -> ChunkRun:
    """Build one chunk and record it, if this run claims it and it is still running at the end.

    ``retries`` is the task's planned retries so far; a chunk whose worker died under it 3
    times is failed instead of run again (``WORKER_LOST``), and the job goes on.
    """
    with session_scope(ctx.sessions) as session:
        if worker_lost_too_often(session, chunk_id=chunk_id, task_id=task_id, retries=retries):
            settlement = settle_chunk(session, job_id=job_id, chunk_id=chunk_id, error=WORKER_LOST)
            logger.bind(
                operation="chunk", job_id=job_id, chunk_id=chunk_id, resource_id=chunk_id,
                error_type="WorkerLost", retry_count=retries,
            ).error(WORKER_LOST)  # fmt: skip
            return ChunkRun(kept=None, settlement=settlement)
        claimed = claim_chunk(session, chunk_id=chunk_id, task_id=task_id)
        if claimed is None:
            return ChunkRun(kept=None)
        chunk = _Chunk(
            job_id, chunk_id, claimed.index, ChunkKind(claimed.kind), dict(claimed.payload)
        )
        spec = job_spec(session, job_id=job_id)
    log = logger.bind(operation="chunk", job_id=job_id, chunk_id=chunk_id)
    key = results_key(job_id, chunk_id)
    rows = load_results(ctx.storage, key)  # an earlier run built them; the database failed
    if rows is None:
        rows = _build_and_store(ctx, chunk, spec, key)
        if rows is None:
            log.info("chunk cancelled or settled meanwhile; nothing stored")
            return ChunkRun(kept=None)
    else:
        log.bind(rows=len(rows)).info("recording the rows an earlier run built")
    with session_scope(ctx.sessions) as session:
        settlement = settle_chunk(session, job_id=job_id, chunk_id=chunk_id)
        if settlement.settled:
            record_images(session, job_id=job_id, chunk_id=chunk_id, rows=rows)
            counts = Counter(IMAGE_COUNTERS[row.status] for row in rows)
            bump_counters(session, job_id=job_id, candidates=len(rows), **counts)
    _forget(ctx, key)
    kept = sum(1 for row in rows if row.status is Status.KEPT)
    log.bind(kept=kept, settled=settlement.settled, last=settlement.last).info("chunk done")
    return ChunkRun(kept, settlement)


def _forget(ctx: JobContext, key: str) -> None:
    # Recorded: the kept rows are only clutter now, and failing the task for them would lie.
    try:
        drop_results(ctx.storage, key)
    except PixCrawlerError as error:
        logger.bind(
            operation="chunk", resource_id=key, error_type=type(error).__name__,
            retry_count=max(0, error.attempts - 1),
        ).warning("recorded rows not deleted from storage")  # fmt: skip


def _build_and_store(
    ctx: JobContext, chunk: _Chunk, spec: JobSpec, key: str
) -> list[ManifestRow] | None:
    """Build the chunk from scratch, store its kept images and keep its rows until recorded.

    Returns None when the chunk was cancelled (or settled by another copy) meanwhile.
    """
    with session_scope(ctx.sessions) as session:
        # This run starts from scratch: quota slots an earlier run held are free again.
        release_chunk_slots(session, job_id=chunk.job_id, chunk_id=chunk.chunk_id)
    with _workdir(ctx, chunk.job_id, chunk.index) as workdir:
        rows = _build(ctx, workdir, chunk, spec)
        if not _still_running(ctx, chunk.chunk_id):
            return None
        for row in rows:
            if row.status is Status.KEPT and row.file_name:
                target = dataset_key(chunk.job_id, row.file_name)
                store_once(ctx.storage, target, workdir / row.file_name)
    save_results(ctx.storage, key, rows)
    return rows


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


def _build(ctx: JobContext, workdir: Path, chunk: _Chunk, spec: JobSpec) -> list[ManifestRow]:
    """The chunk's rows: the in-process pipeline on its share of the job, with the job's options.

    Kept images are content-addressed (``images/<slug>/<sha256[:20]>.<ext>``) in ``workdir``;
    a URL-list chunk takes its classes' slots from the job-wide quota before each download.
    """
    source: KeywordPlan | list[Candidate]
    quota = None
    if chunk.kind is ChunkKind.DISCOVER:
        label = chunk.payload["label"]
        fixed = chunk.payload.get("queries")  # set by the plan step, generate_keywords
        source = spec.keyword_plan((label,), {label: tuple(fixed)} if fixed else None)
    else:
        source = [Candidate(**candidate) for candidate in chunk.payload["candidates"]]
        if spec.per_class is not None:
            quota = JobQuota(ctx.sessions, chunk.job_id, chunk.chunk_id, spec.per_class)
    options = spec.build_options(label_formats=("json",), report=False)
    writer = asyncio.run(build_dataset(source, workdir, ctx.settings, options, shared_quota=quota))
    try:
        return list(_state.iter_rows(writer.conn))
    finally:
        writer.close()
