"""The report's data: plain frozen records that both the HTML page and the dataset card read."""

from collections.abc import Mapping
from dataclasses import dataclass

#: Display name for images whose source gave no licence.
UNKNOWN_LICENCE = "unknown"

#: What each funnel stage counts, as the report footer and the dataset card explain it.
FUNNEL_SEMANTICS = (
    ("Candidates", "every row of manifest.jsonl"),
    ("Downloaded", "rows with a sha256: the body arrived in full"),
    ("Valid", "rows that decoded as an image: status kept or duplicate"),
    ("Unique", "valid rows that repeat no kept image: status kept"),
    ("Kept", "rows whose image is in the dataset: status kept"),
)


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """How candidates thinned out; each stage counts the rows that passed it.

    ``candidates``: every manifest row. ``downloaded``: rows with a sha256 (a body arrived).
    ``valid``: rows that decoded as an image (status ``kept`` or ``duplicate``).
    ``unique``: valid rows that duplicated nothing (``kept``). ``kept``: rows in the dataset.
    """

    candidates: int = 0
    downloaded: int = 0
    valid: int = 0
    unique: int = 0
    kept: int = 0


@dataclass(frozen=True, slots=True)
class ClassSummary:
    """One class: its ImageFolder folder and index (``None`` when nothing was kept) and funnel."""

    label: str
    folder: str | None
    index: int | None
    funnel: FunnelCounts


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """The funnel of the candidates one engine or URL list produced."""

    source: str
    funnel: FunnelCounts


@dataclass(frozen=True, slots=True)
class Reason:
    """A rejection reason, grouped as the builder's statistics group it, and how often it hit."""

    status: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class LicenceCount:
    """A licence among kept images, a link to its text (if any source gave one) and a count."""

    licence: str
    url: str | None
    count: int


@dataclass(frozen=True, slots=True)
class CrossClassDuplicate:
    """A candidate rejected because its image was already kept under another class."""

    url: str
    label: str
    duplicate_of: str | None


@dataclass(frozen=True, slots=True)
class Attribution:
    """A kept image whose licence asks for credit, and the credit its source gave."""

    file_name: str
    label: str
    licence: str
    credit: str | None
    source_url: str | None
    page_url: str | None


@dataclass(frozen=True, slots=True)
class Sample:
    """A kept image chosen for a contact sheet."""

    file_name: str
    label: str
    source_url: str | None
    licence: str


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the report shows, computed from the exported files alone by ``summarize``."""

    name: str
    classes: tuple[ClassSummary, ...]
    totals: FunnelCounts
    sources: tuple[SourceSummary, ...]
    reasons: tuple[Reason, ...]  # most frequent first
    licences: tuple[LicenceCount, ...]  # most frequent first
    cross_class: tuple[CrossClassDuplicate, ...]
    attributions: tuple[Attribution, ...]  # the first ``attribution_limit`` by file name
    attribution_total: int
    resolution: tuple[tuple[str, int], ...]  # (shorter-side bucket, kept images)
    samples: Mapping[str, tuple[Sample, ...]]  # label -> first N kept images by file name

    @property
    def single_licence(self) -> str | None:
        """The one licence every kept image shares, if there is exactly one."""
        return self.licences[0].licence if len(self.licences) == 1 else None
