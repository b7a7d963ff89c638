"""Distributed jobs: the work Celery tasks call — plan, run a chunk, finalize, package, export.

The library pieces do the work (``build_dataset`` on each chunk, the exporters on the merged
rows); this package moves data between the job database, storage and a worker's disk.
"""

from pixcrawler.backend.distributed._context import JobContext, job_context
from pixcrawler.backend.distributed.chunks import ChunkRun, run_chunk
from pixcrawler.backend.distributed.finalize import finalize_job
from pixcrawler.backend.distributed.packaging import export_job, package_job
from pixcrawler.backend.distributed.planning import plan_job, submit_job

__all__ = [
    "ChunkRun",
    "JobContext",
    "export_job",
    "finalize_job",
    "job_context",
    "package_job",
    "plan_job",
    "run_chunk",
    "submit_job",
]
