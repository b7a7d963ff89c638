"""Summarise an exported dataset into :class:`ReportData`, streaming its JSON-lines files."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pixcrawler.utility.report._licences import licence_name, needs_attribution
from pixcrawler.utility.report._model import (
    Attribution,
    ClassSummary,
    FunnelCounts,
    LicenceCount,
    Reason,
    ReportData,
    Sample,
    SourceSummary,
)
from pixcrawler.utility.report._reading import iter_jsonl, number, read_classes, require_file, text
from pixcrawler.utility.report._tallies import FirstByName, ManifestTally

#: Shorter-side buckets of the resolution chart: (lower bound in pixels, label).
RESOLUTION_BUCKETS = (
    (0, "<128"), (128, "128–255"), (256, "256–511"), (512, "512–1023"),
    (1024, "1024–2047"), (2048, "≥2048"),
)  # fmt: skip


def summarize(
    root: Path, *, samples_per_class: int = 48, attribution_limit: int = 1000
) -> ReportData:
    """Read ``manifest.jsonl``, ``metadata.jsonl`` and ``labels/classes.json`` under ``root``.

    Both JSON-lines files are streamed and only bounded selections are held, so memory stays
    flat for large datasets (cross-class duplicates are the exception: all are listed).

    Args:
        root: the dataset folder ``pixcrawler build`` wrote.
        samples_per_class: contact-sheet images per class, the first by file name.
        attribution_limit: attribution entries to keep, the first by file name.

    Raises:
        ReportError: ``manifest.jsonl`` or ``metadata.jsonl`` is missing or malformed.
    """
    require_file(root / "manifest.jsonl")
    manifest = ManifestTally()
    for row in iter_jsonl(root / "manifest.jsonl"):
        manifest.add(row)
    metadata = _MetadataTally(samples_per_class, attribution_limit)
    for row in iter_jsonl(root / "metadata.jsonl"):
        metadata.add(row)
    classes = _class_summaries(read_classes(root / "labels" / "classes.json"), manifest, metadata)
    return ReportData(
        name=root.resolve().name,
        classes=classes,
        totals=manifest.totals.frozen(),
        sources=tuple(
            SourceSummary(source, tally.frozen())
            for source, tally in sorted(manifest.by_source.items())
        ),
        reasons=tuple(
            Reason(status, reason, count)
            for (status, reason), count in sorted(manifest.reasons.items(), key=_by_count)
        ),
        licences=metadata.licence_counts(),
        cross_class=tuple(manifest.cross_class),
        attributions=metadata.attributions.result(),
        attribution_total=metadata.attribution_total,
        resolution=tuple((label, metadata.resolution[label]) for _, label in RESOLUTION_BUCKETS),
        samples={label: tally.result() for label, tally in metadata.samples.items()},
    )


@dataclass(slots=True)
class _MetadataTally:
    """Folders, licences, attribution, resolution and contact-sheet picks of the kept images."""

    samples_per_class: int
    attribution_limit: int
    folders: dict[str, str] = field(default_factory=dict)
    licences: Counter[str] = field(default_factory=Counter)
    licence_urls: dict[str, str] = field(default_factory=dict)
    resolution: Counter[str] = field(default_factory=Counter)
    samples: dict[str, FirstByName[Sample]] = field(default_factory=dict)
    attributions: FirstByName[Attribution] = field(init=False)
    attribution_total: int = 0

    def __post_init__(self) -> None:
        self.attributions = FirstByName(self.attribution_limit)

    def add(self, row: dict[str, Any]) -> None:
        """Count one metadata row (one kept image)."""
        label, file_name = str(row.get("label", "")), text(row, "file_name") or ""
        licence, url = licence_name(text(row, "license")), text(row, "license_url")
        if label not in self.folders:
            self.folders[label] = _folder_of(file_name)
            self.samples[label] = FirstByName(self.samples_per_class)
        self.licences[licence] += 1
        if url:
            self.licence_urls.setdefault(licence, url)
        self._add_resolution(number(row, "width"), number(row, "height"))
        picks = self.samples[label]
        if picks.wants(file_name):
            picks.add(file_name, Sample(file_name, label, text(row, "source_url"), licence))
        credit = text(row, "attribution")
        if needs_attribution(licence, credit):
            self.attribution_total += 1
            if self.attributions.wants(file_name):
                self.attributions.add(file_name, _attribution(row, file_name, label, licence))

    def licence_counts(self) -> tuple[LicenceCount, ...]:
        """Licences, most frequent first (ties by name)."""
        ranked = sorted(self.licences.items(), key=lambda pair: (-pair[1], pair[0]))
        return tuple(LicenceCount(name, self.licence_urls.get(name), n) for name, n in ranked)

    def _add_resolution(self, width: int | None, height: int | None) -> None:
        if width is None or height is None:
            return
        shorter = min(width, height)
        label = next(label for low, label in reversed(RESOLUTION_BUCKETS) if shorter >= low)
        self.resolution[label] += 1


def _class_summaries(
    listed: list[str], manifest: ManifestTally, metadata: _MetadataTally
) -> tuple[ClassSummary, ...]:
    """Classes in ImageFolder index order, then classes nothing was kept for, by name."""
    if not listed:
        listed = sorted(metadata.folders, key=lambda label: (metadata.folders[label], label))
    seen = set(listed)
    extra = sorted((set(manifest.by_label) | set(metadata.folders)) - seen)
    index = {label: position for position, label in enumerate(listed)}
    return tuple(
        ClassSummary(
            label=label,
            folder=metadata.folders.get(label),
            index=index.get(label),
            funnel=_funnel_of(manifest, label),
        )
        for label in [*listed, *extra]
    )


def _folder_of(file_name: str) -> str:
    """``images/<folder>/<file>`` -> ``<folder>``; the parent folder for any other layout."""
    path = PurePosixPath(file_name)
    inside_images = len(path.parts) >= 3 and path.parts[0] == "images"
    return path.parts[1] if inside_images else str(path.parent)


def _attribution(row: dict[str, Any], file_name: str, label: str, licence: str) -> Attribution:
    return Attribution(
        file_name=file_name,
        label=label,
        licence=licence,
        credit=text(row, "attribution"),
        source_url=text(row, "source_url"),
        page_url=text(row, "page_url"),
    )


def _funnel_of(manifest: ManifestTally, label: str) -> FunnelCounts:
    tally = manifest.by_label.get(label)
    return tally.frozen() if tally is not None else FunnelCounts()


def _by_count(item: tuple[tuple[str, str], int]) -> tuple[int, str, str]:
    (status, reason), count = item
    return -count, reason, status
