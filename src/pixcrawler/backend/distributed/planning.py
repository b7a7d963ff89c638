"""Create a job and cut it into chunks: one per keyword class, or ``PIXCRAWLER_CHUNK_SIZE``
rows of a URL list."""

import itertools
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pixcrawler.backend.db.chunks import add_chunks
from pixcrawler.backend.db.jobs import create_job, job_spec, set_spec
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder.discovery import read_url_list
from pixcrawler.builder.jobspec import ChunkKind, JobKind, JobSpec
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


def submit_job(
    ctx: JobContext, spec: JobSpec, sources: Sequence[Path] = (), *, user_id: int | None = None
) -> str:
    """Record a job (uploading URL lists to storage) and return its id; planning is a task."""
    with session_scope(ctx.sessions) as session:
        job_id = create_job(session, user_id=user_id, spec=spec).id
    uploaded = []
    for index, source in enumerate(sources):
        key = f"jobs/{job_id}/sources/{index}-{source.name}"
        ctx.storage.put(key, source)
        uploaded.append(key)
    if uploaded:
        with session_scope(ctx.sessions) as session:
            set_spec(session, job_id=job_id, spec=spec.with_sources(tuple(uploaded)))
    return job_id


def plan_job(
    ctx: JobContext, *, job_id: str, queries: Mapping[str, Sequence[str]] | None = None
) -> list[int]:
    """Create the job's chunks (idempotent) and return their ids in order.

    ``queries``: a keyword job's queries per class (``generate_keywords``), stored on its chunk.
    """
    with session_scope(ctx.sessions) as session:
        spec = job_spec(session, job_id=job_id)
    chunks: list[tuple[str, dict[str, Any]]]
    if spec.kind is JobKind.KEYWORDS:
        chunks = [(ChunkKind.DISCOVER, _class_payload(kw, queries)) for kw in spec.keywords]
    else:
        size = ctx.settings.chunk_size
        chunks = [
            (ChunkKind.DOWNLOAD, {"candidates": rows}) for rows in _url_chunks(ctx, spec, size)
        ]
    with session_scope(ctx.sessions) as session:
        rows = add_chunks(session, job_id=job_id, chunks=chunks)
        ids = [row.id for row in rows]
    logger.bind(operation="job_planning", job_id=job_id, chunks=len(ids)).info("job planned")
    return ids


def _class_payload(keyword: str, queries: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
    if queries is None or keyword not in queries:
        return {"label": keyword}
    return {"label": keyword, "queries": list(queries[keyword])}


def _url_chunks(ctx: JobContext, spec: JobSpec, size: int) -> Iterator[list[dict[str, Any]]]:
    for key in spec.source_keys:
        with tempfile.TemporaryDirectory() as folder:
            local = Path(folder) / key.rsplit("/", 1)[-1].split("-", 1)[-1]
            ctx.storage.download(key, local)
            candidates = read_url_list(
                local, label=spec.label, url_column=spec.url_column, label_column=spec.label_column
            )
            rows = (asdict(candidate) for candidate in candidates)
            while chunk := list(itertools.islice(rows, size)):
                yield chunk
