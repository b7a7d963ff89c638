"""Request and response bodies (``XCreate`` in, ``XPublic`` out), with OpenAPI examples."""

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pixcrawler.builder.jobspec import JobSpec
from pixcrawler.validator.levels import ValidationLevel

Item = TypeVar("Item")

_SPEC_EXAMPLE: dict[str, Any] = {
    "kind": "keywords", "keywords": ["red fox", "arctic fox"], "engines": ["openverse"],
    "per_class": 50, "licenses": ["cc0", "by"],
}  # fmt: skip
_TIME = "2026-12-01T10:00:00Z"


class Page(BaseModel, Generic[Item]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: the end)."""

    items: list[Item]
    next_cursor: str | None = Field(default=None, examples=["eyJpZCI6IDQyfQ"])


class Named(BaseModel):
    """A name for a new project or API key."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["wildlife"])


class UserPublic(BaseModel):
    """The signed-in user."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(examples=[7])
    email: str = Field(examples=["ada@example.org"])
    name: str = Field(examples=["ada"])
    role: str = Field(examples=["user"])
    created_at: datetime = Field(examples=[_TIME])


class ProjectPublic(BaseModel):
    """A user's folder of datasets."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(examples=[3])
    name: str = Field(examples=["wildlife"])


class DatasetCreate(BaseModel):
    """A new dataset in one of the user's projects."""

    model_config = ConfigDict(extra="forbid")
    project_id: int = Field(examples=[3])
    name: str = Field(min_length=1, max_length=200, examples=["foxes"])


class DatasetPublic(BaseModel):
    """A dataset: the files its jobs fill."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(examples=[11])
    project_id: int = Field(examples=[3])
    name: str = Field(examples=["foxes"])
    status: str = Field(examples=["pending"])
    created_at: datetime = Field(examples=[_TIME])


class JobCreate(BaseModel):
    """A build request: the job spec, and optionally the dataset it fills."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"spec": _SPEC_EXAMPLE}]}
    )
    spec: JobSpec
    dataset_id: int | None = None


class JobPublic(BaseModel):
    """A job: its spec, state and running totals."""

    model_config = ConfigDict(from_attributes=True)
    id: str = Field(examples=["5b0c2f7e-0d3c-4c4e-9f57-2a5e8f1f8a21"])
    kind: str = Field(examples=["keywords"])
    status: str = Field(examples=["running"])
    error: str | None = Field(default=None, examples=[None])
    dataset_id: int | None = None
    spec: dict[str, Any] = Field(examples=[_SPEC_EXAMPLE])
    chunks_total: int = Field(examples=[2])
    chunks_done: int = Field(examples=[1])
    chunks_failed: int = Field(examples=[0])
    candidates: int = Field(examples=[120])
    kept: int = Field(examples=[48])
    failed: int = Field(examples=[3])
    duplicates: int = Field(examples=[5])
    invalid: int = Field(examples=[2])
    filtered: int = Field(examples=[0])
    created_at: datetime = Field(examples=[_TIME])
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ClassProgress(BaseModel):
    """One class's images by status (``rejected``: by a reviewer)."""

    label: str = Field(examples=["red fox"])
    counts: dict[str, int] = Field(examples=[{"kept": 48, "duplicate": 3}])


class JobProgressPublic(BaseModel):
    """A job's progress: settled share of chunks, totals, and per-class counts."""

    job: JobPublic
    fraction: float = Field(ge=0, le=1, examples=[0.5])
    classes: list[ClassProgress]


class JobAction(BaseModel):
    """What a cancel, retry, resume or revalidation did."""

    job_id: str = Field(examples=["5b0c2f7e-0d3c-4c4e-9f57-2a5e8f1f8a21"])
    action: str = Field(examples=["retry"])
    tasks: int = Field(examples=[2], description="tasks revoked, sent or found held")


class Revalidate(BaseModel):
    """Re-check a completed job's kept images at a validation level."""

    model_config = ConfigDict(extra="forbid")
    level: ValidationLevel = Field(examples=["medium"])


class ImagePublic(BaseModel):
    """One candidate's row: where it came from, what happened, and for a kept image its file."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(examples=[901])
    url: str = Field(examples=["https://example.org/fox.jpg"])
    label: str = Field(examples=["red fox"])
    status: str = Field(examples=["kept"])
    reason: str = Field(examples=[""])
    rejected: bool = Field(examples=[False])
    source: str | None = Field(default=None, examples=["openverse"])
    sha256: str | None = None
    width: int | None = Field(default=None, examples=[640])
    height: int | None = Field(default=None, examples=[480])
    format: str | None = Field(default=None, examples=["JPEG"])
    license: str | None = Field(default=None, examples=["cc-by"])
    attribution: str | None = None
    file_key: str | None = None


class ApiKeyCreate(BaseModel):
    """A new API key: a name and its scopes."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["notebook"])
    scopes: list[str] = Field(default=["read", "write"], examples=[["read"]])


class ApiKeyPublic(BaseModel):
    """An API key as listed: never the key itself, only its prefix."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(examples=[4])
    name: str = Field(examples=["notebook"])
    prefix: str = Field(examples=["pxc_AbC123"])
    scopes: str = Field(examples=["read,write"])
    created_at: datetime = Field(examples=[_TIME])
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    """A key just issued: ``key`` is shown this once and never stored."""

    key: str = Field(examples=["pxc_3q2+7w…"])


class ActivityPublic(BaseModel):
    """One entry of the activity log."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(examples=[77])
    action: str = Field(examples=["job.create"])
    target: str = Field(examples=["job 5b0c2f7e-0d3c-4c4e-9f57-2a5e8f1f8a21"])
    request_id: str = Field(examples=["0f1e2d3c4b5a69788796a5b4c3d2e1f0"])
    created_at: datetime = Field(examples=[_TIME])


class UploadPublic(BaseModel):
    """A URL list in storage: name it in a ``url_list`` spec's ``source_keys``."""

    key: str = Field(examples=["uploads/7/1c9d…-urls.csv"])
    bytes: int = Field(examples=[52311])


class ExportPending(BaseModel):
    """The archive is being packaged: ask again after ``retry_after`` seconds."""

    status: str = Field(examples=["packaging"])
    retry_after: int = Field(examples=[2])


class Shards(BaseModel):
    """A job's WebDataset shards, each downloadable by name."""

    shards: list[str] = Field(examples=[["5b0c…-000000.tar"]])


class Health(BaseModel):
    """Liveness or readiness, with each dependency's state."""

    status: str = Field(examples=["ok"])
    checks: dict[str, str] = Field(default_factory=dict, examples=[{"database": "ok"}])


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, one line for people, and the request to quote."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no such job"])
    request_id: str = Field(examples=["0f1e2d3c4b5a69788796a5b4c3d2e1f0"])


class ErrorBody(BaseModel):
    """Every error answer's body."""

    error: ErrorDetail
