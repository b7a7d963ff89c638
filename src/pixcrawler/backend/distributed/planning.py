"""Create a job and cut it into chunks: one per keyword class, or CHUNK_SIZE rows of a URL list."""

import itertools
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pixcrawler.backend.db.chunks import add_chunks
from pixcrawler.backend.db.jobs import create_job, get_job
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.builder.discovery import read_url_list
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: Candidates per URL-list chunk: small enough to redo cheaply after a worker dies.
CHUNK_SIZE = 500


def submit_job(
    ctx: JobContext,
    *,
    kind: str,
    spec: dict[str, Any],
    sources: Sequence[Path] = (),
    user_id: int | None = None,
) -> str:
    """Record a job (uploading URL lists to storage) and return its id; planning is a task."""
    with session_scope(ctx.sessions) as session:
        job = create_job(session, user_id=user_id, kind=kind, spec=spec)
        job_id = job.id
    uploaded = []
    for index, source in enumerate(sources):
        key = f"jobs/{job_id}/sources/{index}-{source.name}"
        ctx.storage.put(key, source)
        uploaded.append(key)
    if uploaded:
        with session_scope(ctx.sessions) as session:
            job = get_job(session, job_id=job_id)
            job.spec = {**job.spec, "source_keys": uploaded}
    return job_id


def plan_job(
    ctx: JobContext, *, job_id: str, queries: Mapping[str, Sequence[str]] | None = None
) -> list[int]:
    """Create the job's chunks (idempotent) and return their ids in order.

    ``queries``: a keyword job's queries per class (``generate_keywords``), stored on its chunk.
    """
    with session_scope(ctx.sessions) as session:
        job = get_job(session, job_id=job_id)
        kind, spec = job.kind, dict(job.spec)
    if kind == "keywords":
        chunks = [("discover", _class_payload(keyword, queries)) for keyword in spec["keywords"]]
    else:
        chunks = [("download", {"candidates": rows}) for rows in _url_chunks(ctx, spec)]
    with session_scope(ctx.sessions) as session:
        rows = add_chunks(session, job_id=job_id, chunks=chunks)
        ids = [row.id for row in rows]
    logger.bind(operation="job_planning", job_id=job_id, chunks=len(ids)).info("job planned")
    return ids


def _class_payload(keyword: str, queries: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
    if queries is None or keyword not in queries:
        return {"label": keyword}
    return {"label": keyword, "queries": list(queries[keyword])}


def _url_chunks(ctx: JobContext, spec: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    for key in spec.get("source_keys", []):
        with tempfile.TemporaryDirectory() as folder:
            local = Path(folder) / key.rsplit("/", 1)[-1].split("-", 1)[-1]
            ctx.storage.download(key, local)
            candidates = read_url_list(
                local,
                label=spec.get("label"),
                url_column=spec.get("url_column", "url"),
                label_column=spec.get("label_column", "label"),
            )
            rows = (asdict(candidate) for candidate in candidates)
            while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
                yield chunk
