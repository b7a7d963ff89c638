"""Running counters for one streamed pass over the manifest or the metadata."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pixcrawler.utility.report._model import CrossClassDuplicate, FunnelCounts
from pixcrawler.utility.report._reading import text

T = TypeVar("T")

_VALID_STATUSES = frozenset({"kept", "duplicate"})


@dataclass(slots=True)
class FunnelTally:
    """A :class:`FunnelCounts` being counted, one manifest row at a time."""

    candidates: int = 0
    downloaded: int = 0
    valid: int = 0
    unique: int = 0
    kept: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """Count one manifest row at every stage it passed."""
        status = row.get("status")
        self.candidates += 1
        self.downloaded += row.get("sha256") is not None
        self.valid += status in _VALID_STATUSES
        self.unique += status == "kept"
        self.kept += status == "kept"

    def frozen(self) -> FunnelCounts:
        """The counts so far as an immutable record."""
        return FunnelCounts(self.candidates, self.downloaded, self.valid, self.unique, self.kept)


@dataclass(slots=True)
class ManifestTally:
    """Funnels by class and by source, rejection reasons and cross-class duplicates."""

    totals: FunnelTally = field(default_factory=FunnelTally)
    by_label: dict[str, FunnelTally] = field(default_factory=dict)
    by_source: dict[str, FunnelTally] = field(default_factory=dict)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    cross_class: list[CrossClassDuplicate] = field(default_factory=list)

    def add(self, row: dict[str, Any]) -> None:
        """Count one manifest row."""
        label = str(row.get("label", ""))
        self.totals.add(row)
        self.by_label.setdefault(label, FunnelTally()).add(row)
        self.by_source.setdefault(text(row, "source") or "unknown", FunnelTally()).add(row)
        status = text(row, "status") or "unknown"
        if status != "kept":
            self.reasons[status, reason_group(status, row)] += 1
        if status == "duplicate" and row.get("cross_class"):
            dup_of = text(row, "duplicate_of")
            self.cross_class.append(CrossClassDuplicate(text(row, "url") or "", label, dup_of))


def reason_group(status: str, row: dict[str, Any]) -> str:
    """A rejection reason grouped as ``builder._funnel`` groups it.

    Duplicates drop the file they repeat ("exact duplicate of images/cat/…" reads
    "exact duplicate") and are flagged "(cross-class)" when that file is another class's.
    """
    reason = text(row, "reason") or "(no reason given)"
    if status != "duplicate":
        return reason
    kind = reason.partition(" of ")[0]
    return f"{kind} (cross-class)" if row.get("cross_class") else kind


class FirstByName(Generic[T]):
    """Keeps the ``limit`` items with the smallest keys seen so far, in bounded memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: list[tuple[str, T]] = []
        self._cutoff: str | None = None  # once full, keys at or past this can never be kept

    def wants(self, key: str) -> bool:
        """Whether an item with ``key`` could still be kept (lets callers skip building it)."""
        return self.limit > 0 and (self._cutoff is None or key < self._cutoff)

    def add(self, key: str, item: T) -> None:
        """Offer one item; trimming happens in batches, so this is amortised O(log limit)."""
        if self.wants(key):
            self._items.append((key, item))
            if len(self._items) >= 2 * self.limit + 64:
                self._trim()

    def result(self) -> tuple[T, ...]:
        """The kept items, smallest key first."""
        self._trim()
        return tuple(item for _, item in self._items)

    def _trim(self) -> None:
        self._items.sort(key=lambda pair: pair[0])
        del self._items[self.limit :]
        if len(self._items) == self.limit and self.limit:
            self._cutoff = self._items[-1][0]
