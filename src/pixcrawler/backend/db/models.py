"""The job database's tables: users and their datasets, API keys, jobs, chunks, images, quotas."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from pixcrawler.backend.db._base import Base, BigId, new_job_id, utcnow
from pixcrawler.records import Status


class JobStatus(StrEnum):
    """Lifecycle of a job; the last three are final."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ChunkStatus(StrEnum):
    """Lifecycle of a chunk, the unit of work, retry and resume."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: A job or chunk in one of these states still has work ahead of it.
OPEN_JOB_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)
OPEN_CHUNK_STATUSES = (ChunkStatus.PENDING, ChunkStatus.RUNNING)


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class User(Base):
    """Someone who owns projects, API keys and jobs."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The identity provider's subject (a Supabase ``sub``); None for local users.
    auth_subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: ``user`` (per-user limits apply) or ``admin``.
    role: Mapped[str] = mapped_column(String(16), default="user", server_default="user")


class Project(Base):
    """A user's folder of datasets."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class Dataset(Base):
    """A dataset in storage: the files under ``storage_prefix`` that jobs fill."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    storage_prefix: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key, stored only as its SHA-256 (see ``api_keys.hash_api_key``) and a prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    #: Comma-separated scopes: ``read``, ``write``, ``admin``.
    scopes: Mapped[str] = mapped_column(
        String(64), default="read,write", server_default="read,write"
    )
    last_used_at: Mapped[datetime | None]


class Job(Base):
    """One dataset build request, its chunk bookkeeping and its running totals."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_one_of("status", JobStatus), name="status"),
        Index(None, "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_job_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    #: keywords, engines, per_class, licences, validation level, label formats, source URIs…
    spec: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    chunks_total: Mapped[int] = mapped_column(default=0, server_default="0")
    chunks_done: Mapped[int] = mapped_column(default=0, server_default="0")
    chunks_failed: Mapped[int] = mapped_column(default=0, server_default="0")
    candidates: Mapped[int] = mapped_column(default=0, server_default="0")
    kept: Mapped[int] = mapped_column(default=0, server_default="0")
    failed: Mapped[int] = mapped_column(default=0, server_default="0")
    duplicates: Mapped[int] = mapped_column(default=0, server_default="0")
    invalid: Mapped[int] = mapped_column(default=0, server_default="0")
    filtered: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    celery_group_id: Mapped[str | None] = mapped_column(String(155))


#: The job columns :func:`pixcrawler.backend.db.jobs.bump_counters` may increment.
JOB_COUNTERS = frozenset(
    {"candidates", "kept", "failed", "duplicates", "invalid", "filtered"}
    | {"chunks_total", "chunks_done", "chunks_failed"}
)


#: The job counter each image status adds to (``candidates`` counts them all).
IMAGE_COUNTERS = {
    Status.KEPT: "kept", Status.DOWNLOAD_FAILED: "failed", Status.DUPLICATE: "duplicates",
    Status.INVALID: "invalid", Status.FILTERED: "filtered",
}  # fmt: skip


class Chunk(Base):
    """A slice of a job (a label × engine × query's pages, URL-list rows…) run by one task."""

    __tablename__ = "chunks"
    __table_args__ = (
        UniqueConstraint("job_id", "index"),
        CheckConstraint(_one_of("status", ChunkStatus), name="status"),
        Index(None, "job_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    index: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=ChunkStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(String(155))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Image(Base):
    """One candidate's outcome in a job: the ``manifest.jsonl`` row, plus its storage key."""

    __tablename__ = "images"
    __table_args__ = (
        # A redelivered chunk upserts its rows instead of duplicating them.
        UniqueConstraint("job_id", "url", "label"),
        Index(None, "job_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    chunk_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("chunks.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    source: Mapped[str | None] = mapped_column(String(64))
    query: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    phash: Mapped[str | None] = mapped_column(String(16))
    #: Content-addressed storage key of the kept file, e.g. ``images/<slug>/<sha256[:20]>.jpg``.
    file_key: Mapped[str | None] = mapped_column(String(1024))
    width: Mapped[int | None]
    height: Mapped[int | None]
    format: Mapped[str | None] = mapped_column(String(16))
    license: Mapped[str | None] = mapped_column(String(200))
    license_url: Mapped[str | None] = mapped_column(Text)
    attribution: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(1024))
    cross_class: Mapped[bool] = mapped_column(default=False, server_default=false())
    retryable: Mapped[bool] = mapped_column(default=False, server_default=false())
    quality: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Set while a reviewer has rejected the image: it is out of the exports until restored.
    rejected_at: Mapped[datetime | None]


class ClassQuota(Base):
    """A per-class quota shared by a job's chunks: slots taken (kept or in flight) and kept.

    A chunk takes a slot before it downloads an image of the class and gives it back when the
    image is not kept, so the job's chunks together fetch about what the class may keep.
    """

    __tablename__ = "class_quotas"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), primary_key=True)
    taken: Mapped[int] = mapped_column(default=0, server_default="0")
    kept: Mapped[int] = mapped_column(default=0, server_default="0")


class ChunkQuota(Base):
    """The slots of a class one chunk holds, given back if the chunk is run again from scratch."""

    __tablename__ = "chunk_quotas"

    chunk_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(200), primary_key=True)
    taken: Mapped[int] = mapped_column(default=0, server_default="0")
    kept: Mapped[int] = mapped_column(default=0, server_default="0")


class Activity(Base):
    """One thing a user did through the service (created, cancelled, rejected, exported…)."""

    __tablename__ = "activity"
    __table_args__ = (Index(None, "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
