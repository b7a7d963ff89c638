"""A job's funnel, rejection reasons and retries, counted from its image rows as the API lists them.

The stages mean what they mean in ``report.html`` (``utility.report``): candidates are every row,
downloaded the rows whose body arrived (a sha256), valid the rows that decoded (kept, duplicate,
or kept then rejected by a reviewer), unique the valid rows that repeat no kept image, kept the
rows in the dataset now.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STAGES = ("candidates", "downloaded", "valid", "unique", "kept")
#: The review filters, and the row statuses each one shows.
REVIEW_FILTERS: dict[str, tuple[str, ...]] = {
    "kept": ("kept",),
    "duplicate": ("duplicate",),
    "invalid": ("invalid", "download_failed"),
    "filtered": ("filtered",),
}


@dataclass(slots=True)
class Funnel:
    """Rows that passed each stage, in :data:`STAGES` order."""

    counts: list[int] = field(default_factory=lambda: [0] * len(STAGES))

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one image row."""
        reviewed = bool(row.get("rejected"))
        valid = row.get("status") in ("kept", "duplicate") or reviewed
        unique = row.get("status") == "kept" or reviewed
        passed = (True, bool(row.get("sha256")), valid, unique, row.get("status") == "kept")
        self.counts = [count + int(ok) for count, ok in zip(self.counts, passed, strict=True)]

    def stages(self) -> list[tuple[str, int]]:
        """``(stage, rows)`` pairs for display."""
        return list(zip(STAGES, self.counts, strict=True))


@dataclass(slots=True)
class JobSummary:
    """What the job page shows beyond the live per-class counts."""

    by_class: dict[str, Funnel] = field(default_factory=dict)
    by_engine: dict[str, Funnel] = field(default_factory=dict)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    #: Whether the rows carry attempt counts (the API's image rows may leave them out).
    attempts_known: bool = False

    def top_reasons(self, limit: int = 8) -> list[tuple[str, str, int]]:
        """The most frequent ``(status, reason, rows)`` among rejected rows."""
        return [(status, reason, n) for (status, reason), n in self.reasons.most_common(limit)]

    def retries_by_reason(self) -> list[tuple[str, int]]:
        """Extra attempts (attempts beyond the first), by the row's final reason."""
        return self.retries.most_common()


def summarize_rows(rows: Iterable[Mapping[str, Any]]) -> JobSummary:
    """Count ``rows`` (the API's image objects) into a :class:`JobSummary`."""
    summary = JobSummary()
    for row in rows:
        summary.rows += 1
        summary.by_class.setdefault(str(row.get("label", "")), Funnel()).add(row)
        summary.by_engine.setdefault(str(row.get("source") or "url list"), Funnel()).add(row)
        status, reason = str(row.get("status", "")), str(row.get("reason") or "")
        if status != "kept":
            summary.reasons[(status, reason or status)] += 1
        summary.attempts_known |= "attempts" in row
        extra = int(row.get("attempts") or 0) - 1
        if extra > 0:
            summary.retries[reason or "succeeded on a later attempt"] += extra
    return summary
