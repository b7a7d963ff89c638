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
    #: The image size the source reported, before download (a hint; the decode decides).
    width: int | None = None
    height: int | None = None
    #: The source's description of the image (Bing ``desc``), distinct from ``title``.
    description: str | None = None
    #: The site or collection the engine took it from (Openverse ``source``, e.g. "flickr").
    provider: str | None = None
    #: The file type the source reported ("jpg", "image/png"), before download.
    file_type: str | None = None
    #: Whether the source flagged it as mature/sensitive; None when the source does not say.
    mature: bool | None = None
    #: Why a source row cannot be fetched ("bad row at line 7: not UTF-8"): such a candidate is
    #: recorded with this reason and never requested.
    problem: str | None = None


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
    #: Near-duplicate fingerprint: hashes of the 8 rotations/mirrors (``validator.hashing``).
    fingerprint: bytes = b""


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


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """A candidate's fate, as stored and exported: one ``manifest.jsonl`` row and more.

    The one record for it: the local state store (``builder.dataset.state``) and the job
    database (``backend.db.images``) are adapters that read and write it, and the exporters
    take rows of it. ``file_name`` is the dataset-relative path of a kept image
    (``images/<slug>/<sha256[:20]>.<ext>``); ``phash`` is 16 hex digits.
    """

    url: str
    label: str
    status: Status
    reason: str
    attempts: int = 0
    #: Tried again by the next run (transient failures, per-class-quota rows).
    retryable: bool = False
    source: str | None = None
    query: str | None = None
    page_url: str | None = None
    title: str | None = None
    license: str | None = None
    license_url: str | None = None
    attribution: str | None = None
    sha256: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    phash: str | None = None
    quality: dict[str, float] | None = None
    #: The kept image this one duplicates (its ``file_name``), for duplicates.
    duplicate_of: str | None = None
    #: A duplicate of another class's image: a label leak worth a look.
    cross_class: bool = False

    @classmethod
    def from_outcome(cls, outcome: Outcome, *, retryable: bool = False) -> "ManifestRow":
        """The row recording ``outcome``."""
        c, info, dup = outcome.candidate, outcome.info, outcome.duplicate_of
        return cls(
            url=c.url, label=c.label, status=outcome.status, reason=outcome.reason,
            attempts=outcome.attempts, retryable=retryable, source=c.source, query=c.query,
            page_url=c.page_url, title=c.title, license=c.license, license_url=c.license_url,
            attribution=c.attribution, sha256=outcome.sha256, file_name=outcome.file_name,
            width=info.width if info else None, height=info.height if info else None,
            format=info.format if info else None,
            phash=f"{info.phash:016x}" if info else None,
            quality=info.quality if info and info.quality else None,
            duplicate_of=dup.file_name if dup else None,
            cross_class=bool(dup and dup.label != c.label),
        )  # fmt: skip

    @property
    def candidate(self) -> Candidate:
        """The candidate this row is about (what a rerun would try again)."""
        return Candidate(
            self.url, self.label, self.source or "url_list", self.query, self.page_url,
            self.title, self.license, self.license_url, self.attribution,
        )  # fmt: skip
