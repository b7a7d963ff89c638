"""A finished job's dataset packaged from storage into archives: the hot ZIP, a warm 7z."""

import tempfile
from pathlib import Path

from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed._links import fetch_tree
from pixcrawler.backend.storage.base import Tier
from pixcrawler.utility.compress import package_dataset
from pixcrawler.utility.logging_config import get_logger, operation_logger

logger = get_logger(__name__)

#: The archive packaged right after a job completes (Hot tier); any other format is warm (Cool).
HOT_FORMAT = "zip"


def package_job(ctx: JobContext, *, job_id: str, fmt: str = HOT_FORMAT) -> str:
    """Package the job's dataset from storage into an archive in storage; returns its key.

    Idempotent: packaging again rewrites the same archive.
    """
    tier: Tier = "hot" if fmt == HOT_FORMAT else "cool"
    log = operation_logger("compression", format=fmt, tier=tier)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / job_id
        fetch_tree(ctx.storage, f"jobs/{job_id}/dataset", root)  # links from a local store
        result = package_dataset(root, fmt=fmt)  # type: ignore[arg-type]
        key = f"archives/{job_id}/{result.path.name}"
        ctx.storage.put(key, result.path, tier=tier)
        ctx.storage.put(f"{key}.sha256", result.sidecar)
    log.bind(key=key).info("job packaged")
    return key
