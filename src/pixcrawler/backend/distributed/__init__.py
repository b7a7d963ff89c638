"""Distributed jobs: the work Celery tasks call — plan, run a chunk, finalize, package, export.

The library pieces do the work (``build_dataset`` on each chunk, the exporters on the merged
rows); this package moves data between the job database, storage and a worker's disk.

Names are loaded on first use: the client of ``build --distributed`` needs the job database
and storage, not the pipeline a worker runs on each chunk.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pixcrawler.backend.distributed._context import JobContext, job_context, make_context
    from pixcrawler.backend.distributed.checks import (
        check_job_duplicates,
        check_job_integrity,
        checked_chunks,
        require_completed,
        revalidate,
    )
    from pixcrawler.backend.distributed.chunks import ChunkRun, run_chunk
    from pixcrawler.backend.distributed.export import DatasetExport, export_job
    from pixcrawler.backend.distributed.finalize import export_labels, finalize_job
    from pixcrawler.backend.distributed.packaging import HOT_FORMAT, package_job
    from pixcrawler.backend.distributed.planning import plan_job, submit_job
    from pixcrawler.backend.distributed.settle import settle_chunk

__all__ = [
    "HOT_FORMAT",
    "ChunkRun",
    "DatasetExport",
    "JobContext",
    "check_job_duplicates",
    "check_job_integrity",
    "checked_chunks",
    "export_job",
    "export_labels",
    "finalize_job",
    "job_context",
    "make_context",
    "package_job",
    "plan_job",
    "require_completed",
    "revalidate",
    "run_chunk",
    "settle_chunk",
    "submit_job",
]

_HOMES = {
    "JobContext": "_context", "job_context": "_context", "make_context": "_context",
    "ChunkRun": "chunks", "run_chunk": "chunks", "DatasetExport": "export", "export_job": "export",
    "finalize_job": "finalize", "export_labels": "finalize", "package_job": "packaging",
    "HOT_FORMAT": "packaging", "plan_job": "planning", "submit_job": "planning",
    "settle_chunk": "settle", "check_job_duplicates": "checks", "check_job_integrity": "checks",
    "checked_chunks": "checks", "require_completed": "checks", "revalidate": "checks",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
