"""Copy a job's dataset from storage into a folder, starting while the job still runs.

``build --distributed`` calls :meth:`DatasetExport.prefetch` whenever more chunks have settled:
the kept images recorded since the last call are copied into a staging folder inside the
destination (``.pixcrawler/incoming``, which no dataset reader looks at). Once the job is
completed, :meth:`DatasetExport.finish` takes the final tree from storage (the finalize may have
demoted duplicates and deleted their files): staged files are moved into place, the others are
copied, and the staging folder goes. Images are content-addressed, so a staged file is the final
file. A job that ends otherwise leaves nothing behind (:meth:`DatasetExport.discard`).
"""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from pixcrawler.backend.db.models import Image
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.storage import STATE_DIR, is_skipped
from pixcrawler.backend.storage.base import TREE_WORKERS
from pixcrawler.errors import NotFoundError, PixCrawlerError
from pixcrawler.utility.logging_config import get_logger, operation_logger
from pixcrawler.utility.report import write_report

logger = get_logger(__name__)


class DatasetExport:
    """The copy of one job's dataset into ``dest``, laid out exactly as a local build."""

    def __init__(self, ctx: JobContext, *, job_id: str, dest: Path) -> None:
        self.ctx, self.job_id, self.dest = ctx, job_id, dest
        self.prefix = f"jobs/{job_id}/dataset/"
        self.staging = dest / STATE_DIR / "incoming"
        self._staged: set[str] = set()
        self._seen_id = 0

    def prefetch(self) -> int:
        """Stage the kept images recorded since the last call; returns how many were copied.

        Only a head start: if the database or storage fails here, :meth:`finish` copies what
        was not staged.
        """
        try:
            return self._stage_new()
        except PixCrawlerError as exc:
            operation_logger(
                "export", error=exc.reason, error_type=type(exc).__name__,
                resource_id=exc.url or self.job_id, retry_count=max(0, exc.attempts - 1),
            ).warning("prefetch stopped; finish copies")  # fmt: skip
            return 0

    def _stage_new(self) -> int:
        copied = 0
        for key in self._new_kept_keys():
            relative = key.removeprefix(self.prefix)
            if relative in self._staged:
                continue
            try:
                self.ctx.storage.download(key, self.staging.joinpath(*relative.split("/")))
            except NotFoundError:
                continue  # demoted and deleted by the finalize meanwhile
            self._staged.add(relative)
            copied += 1
        return copied

    def finish(self) -> int:
        """Put the final dataset in place and write its report; returns the files exported."""
        folder = self.prefix
        keys = [key for key in self.ctx.storage.list(folder) if not is_skipped(key[len(folder) :])]
        missing = []
        for key in keys:
            relative = key[len(folder) :]
            target = self.dest.joinpath(*relative.split("/"))
            if relative in self._staged:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging.joinpath(*relative.split("/")), target)
            else:
                missing.append((key, target))
        with ThreadPoolExecutor(max_workers=TREE_WORKERS) as pool:
            list(pool.map(lambda pair: self.ctx.storage.download(*pair), missing))
        self.discard()
        write_report(self.dest)
        logger.bind(operation="export", job_id=self.job_id, dest=str(self.dest), files=len(keys),
                    prefetched=len(keys) - len(missing)).info("exported")  # fmt: skip
        return len(keys)

    def discard(self) -> None:
        """Remove the staging folder (and the folders it leaves empty)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        for folder in (self.staging.parent, self.dest):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty, or not there

    def _new_kept_keys(self) -> list[str]:
        # Rows are written when their chunk settles; one committed late with a lower id is
        # missed here and copied by finish() instead.
        statement = (
            select(Image.id, Image.file_key)
            .where(Image.job_id == self.job_id, Image.id > self._seen_id)
            .where(Image.status == "kept", Image.file_key.is_not(None))
            .order_by(Image.id)
        )
        with session_scope(self.ctx.sessions) as session:
            rows = session.execute(statement).all()
        if rows:
            self._seen_id = rows[-1].id
        return [str(row.file_key) for row in rows]


def export_job(ctx: JobContext, *, job_id: str, dest: Path) -> int:
    """Copy a finished job's dataset from storage into ``dest``, laid out as a local build."""
    return DatasetExport(ctx, job_id=job_id, dest=dest).finish()
