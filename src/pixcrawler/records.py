"""Data contracts passed between pipeline stages (plain frozen dataclasses, no behaviour)."""

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Final state of one candidate URL in ``manifest.jsonl``."""

    KEPT = "kept"
    DOWNLOAD_FAILED = "download_failed"
    INVALID = "invalid"
    FILTERED = "filtered"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One image URL to try, with its class and whatever its source knew about it."""

    url: str
    label: str
    source: str = "url_list"  # "url_list" or the engine that found it
    query: str | None = None  # the search query (keyword variation) that found it
    page_url: str | None = None
    title: str | None = None
    license: str | None = None
    license_url: str | None = None
    attribution: str | None = None


@dataclass(frozen=True, slots=True)
class Download:
    """A body fetched in full: bytes plus what the transfer told us."""

    url: str
    final_url: str
    content: bytes
    content_type: str
    sha256: str
    attempts: int


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What a full decode learned about an accepted image."""

    width: int
    height: int
    format: str  # Pillow format name: JPEG, PNG, WEBP, GIF, ...
    mode: str
    frames: int
    phash: int  # 64-bit perceptual hash as an unsigned int
    extension: str  # ".jpg", ".png", ... matching ``format``
    #: Quality scores (medium/slow levels) and EXIF findings (slow), keyed by name; None at fast.
    quality: dict[str, float] | None = None


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """An already kept image that a new one duplicates."""

    kind: str  # "exact" (same sha256) or "near" (pHash within threshold)
    file_name: str
    label: str
    distance: int


@dataclass(slots=True)
class Outcome:
    """The manifest row of one candidate: what happened and why."""

    candidate: Candidate
    status: Status
    reason: str
    attempts: int = 0
    sha256: str | None = None
    file_name: str | None = None
    info: ImageInfo | None = None
    duplicate_of: DuplicateMatch | None = None


@dataclass(slots=True)
class QueryReport:
    """What one (class, query, engine) discovery produced, for the summary and the report."""

    label: str
    query: str
    engine: str
    pages: int = 0
    candidates: int = 0
    error: str | None = None
