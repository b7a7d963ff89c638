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
from pixcrawler.backend.db.images import (
    dataset_key,
    dataset_prefix,
    iter_images,
    record_images,
    update_outcomes,
)
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
    job_spec,
    list_jobs,
    recount_images,
    set_spec,
)
from pixcrawler.backend.db.models import (
    Activity,
    ApiKey,
    Chunk,
    ChunkQuota,
    ChunkStatus,
    ClassQuota,
    Dataset,
    Image,
    Job,
    JobStatus,
    Project,
    User,
)
from pixcrawler.backend.db.quotas import give_back_slot, release_chunk_slots, take_slot
from pixcrawler.backend.db.session import make_engine, session_factory, session_scope
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.errors import RecordNotFoundError

__all__ = [
    "STALE_AFTER",
    "Activity",
    "ApiKey",
    "Base",
    "Chunk",
    "ChunkQuota",
    "ChunkStatus",
    "ClassQuota",
    "Dataset",
    "Image",
    "Job",
    "JobKind",
    "JobProgress",
    "JobSpec",
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
    "dataset_key",
    "dataset_prefix",
    "fail_job",
    "find_api_key",
    "find_job_ids",
    "finish_chunk",
    "generate_api_key",
    "get_job",
    "give_back_slot",
    "hash_api_key",
    "iter_images",
    "job_progress",
    "job_spec",
    "list_jobs",
    "make_engine",
    "record_images",
    "recount_images",
    "release_chunk_slots",
    "resumable_chunks",
    "retry_failed_chunks",
    "revoke_api_key",
    "session_factory",
    "session_scope",
    "set_spec",
    "take_slot",
    "touch_chunk",
    "update_outcomes",
    "utcnow",
]
