"""The job database: models, sessions, migrations and the service functions over them.

Typical use in a task::

    factory = session_factory(get_settings().resolved_database_url())
    with session_scope(factory) as session:
        chunk = claim_chunk(session, chunk_id=chunk_id, task_id=self.request.id)

Connection failures surface as ``DatabaseConnectionError`` (see :mod:`.errors`).
"""

from pixcrawler.backend.db._base import Base, utcnow
from pixcrawler.backend.db.api_keys import (
    create_api_key,
    find_api_key,
    generate_api_key,
    hash_api_key,
    revoke_api_key,
)
from pixcrawler.backend.db.chunks import (
    STALE_AFTER,
    add_chunks,
    claim_chunk,
    finish_chunk,
    resumable_chunks,
    retry_failed_chunks,
    touch_chunk,
)
from pixcrawler.backend.db.images import IMAGE_FIELDS, record_images
from pixcrawler.backend.db.jobs import (
    JobProgress,
    bump_counters,
    cancel_job,
    complete_job_if_done,
    create_job,
    fail_job,
    find_job_ids,
    get_job,
    job_progress,
    list_jobs,
)
from pixcrawler.backend.db.models import (
    ApiKey,
    Chunk,
    ChunkStatus,
    Dataset,
    Image,
    Job,
    JobStatus,
    Project,
    User,
)
from pixcrawler.backend.db.session import make_engine, session_factory, session_scope
from pixcrawler.builder.jobspec import JobKind
from pixcrawler.errors import RecordNotFoundError

__all__ = [
    "IMAGE_FIELDS",
    "STALE_AFTER",
    "ApiKey",
    "Base",
    "Chunk",
    "ChunkStatus",
    "Dataset",
    "Image",
    "Job",
    "JobKind",
    "JobProgress",
    "JobStatus",
    "Project",
    "RecordNotFoundError",
    "User",
    "add_chunks",
    "bump_counters",
    "cancel_job",
    "claim_chunk",
    "complete_job_if_done",
    "create_api_key",
    "create_job",
    "fail_job",
    "find_api_key",
    "find_job_ids",
    "finish_chunk",
    "generate_api_key",
    "get_job",
    "hash_api_key",
    "job_progress",
    "list_jobs",
    "make_engine",
    "record_images",
    "resumable_chunks",
    "retry_failed_chunks",
    "revoke_api_key",
    "session_factory",
    "session_scope",
    "touch_chunk",
    "utcnow",
]
