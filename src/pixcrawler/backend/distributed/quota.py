"""A job's per-class quota as a URL-list chunk's pipeline sees it: slots in the job database."""

from pixcrawler.backend.db.quotas import give_back_slot, take_slot
from pixcrawler.backend.db.session import SessionFactory, session_scope


class JobQuota:
    """The :class:`~pixcrawler.builder.dataset.SharedQuota` of one chunk of a job.

    Each call is one short transaction; the pipeline makes it from a thread, before and after
    each download of a class with a cap.
    """

    def __init__(self, sessions: SessionFactory, job_id: str, chunk_id: int, limit: int) -> None:
        self.sessions, self.job_id, self.chunk_id, self.limit = sessions, job_id, chunk_id, limit

    def take(self, label: str) -> bool | None:
        """Take a slot of ``label`` (True), or say it is full (False) or busy (None)."""
        with session_scope(self.sessions) as session:
            return take_slot(
                session, job_id=self.job_id, chunk_id=self.chunk_id, label=label, limit=self.limit
            )

    def give_back(self, label: str, *, kept: bool) -> None:
        """Settle a slot: kept images keep theirs, the others free it."""
        with session_scope(self.sessions) as session:
            give_back_slot(
                session, job_id=self.job_id, chunk_id=self.chunk_id, label=label, kept=kept
            )
