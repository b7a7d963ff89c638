"""Finish a job: deduplicate across chunks, cap classes, export the dataset files to storage.

The rows are streamed from the job database (never all in memory): one pass over the kept
rows decides the demotions, a second over every row writes the exports with the same exporter
as a local build. The job's counters are then set from the rows, so they match the dataset.
"""

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from pixcrawler.backend.db.images import dataset_key, iter_images, update_outcomes
from pixcrawler.backend.db.jobs import complete_job_if_done, get_job, job_spec, recount_images
from pixcrawler.backend.db.session import session_scope
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.distributed.settle import job_settled
from pixcrawler.builder.dataset import QUOTA_REASON, export_dataset
from pixcrawler.builder.dataset.slug import unique_slugs
from pixcrawler.builder.jobspec import JobSpec
from pixcrawler.records import DuplicateMatch, ManifestRow, Status
from pixcrawler.utility.logging_config import get_logger, operation_logger
from pixcrawler.validator.dedup import DedupIndex
from pixcrawler.validator.levels import ValidationProfile, dedup_threshold

logger = get_logger(__name__)


def finalize_job(ctx: JobContext, *, job_id: str) -> bool:
    """Merge the chunks' rows into one dataset in storage; True if this call completed the job.

    Idempotent: a job already final (completed, failed, cancelled) is left alone, and a job with
    a chunk still open waits for it (its settling sends the finalize again), so a late or
    duplicated finalize repeats nothing and a cancelled job is not exported. Two copies running
    at once compute the same demotions and write the same files; one of them completes the job.
    The hot ZIP is not made here: the job is complete once its files are, and the caller sends
    the packaging task.
    """
    log = operation_logger("export")
    with session_scope(ctx.sessions) as session:
        status = get_job(session, job_id=job_id).status
        settled = job_settled(session, job_id=job_id)
    if not settled:
        log.bind(status=status).info("job not ready to finalize (final, or chunks still open)")
        return False
    demoted = demote_duplicates(ctx, job_id=job_id)
    rows = export_labels(ctx, job_id=job_id)
    with session_scope(ctx.sessions) as session:
        recount_images(session, job_id=job_id)
        done = complete_job_if_done(session, job_id=job_id)
    log.bind(rows=rows, demoted=demoted, completed=done).info("job finalized")
    return done


def demote_duplicates(ctx: JobContext, *, job_id: str) -> int:
    """Job-wide dedup and per-class cap over every chunk's kept images; returns rows demoted.

    The near-duplicate radius is the one the job's validation level gives a local build.
    """
    with session_scope(ctx.sessions) as session:
        spec = job_spec(session, job_id=job_id)
        merge = _Merge(_radius(ctx, spec), spec.per_class)
        changes = list(merge.demote(iter_images(session, job_id=job_id, status=Status.KEPT)))
    if merge.moved:
        with session_scope(ctx.sessions) as session:
            duplicates = iter_images(session, job_id=job_id, status=Status.DUPLICATE)
            changes += list(merge.redirect(duplicates))
    apply_changes(ctx, job_id, changes)
    return len(changes)


def export_labels(ctx: JobContext, *, job_id: str) -> int:
    """Write manifest, metadata and label files to the job's dataset in storage; rows written."""
    with session_scope(ctx.sessions) as session:
        spec = job_spec(session, job_id=job_id)
        kept = (row.label for row in iter_images(session, job_id=job_id, status=Status.KEPT))
        classes = unique_slugs(dict.fromkeys(kept))
    with tempfile.TemporaryDirectory() as folder, session_scope(ctx.sessions) as session:
        root = Path(folder)
        counted = _Counted(iter_images(session, job_id=job_id))
        export_dataset(root, counted, classes, spec.label_formats)
        for path in [root / "manifest.jsonl", root / "metadata.jsonl", *root.glob("labels/*")]:
            ctx.storage.put(dataset_key(job_id, path.relative_to(root).as_posix()), path)
    return counted.count


def apply_changes(
    ctx: JobContext, job_id: str, changes: list[tuple[ManifestRow, ManifestRow]]
) -> None:
    """Store each ``(before, after)`` row's new outcome; delete the files of demoted kept rows.

    A file is content-addressed, so it is deleted only when no row still kept names it.
    """
    if not changes:
        return
    with session_scope(ctx.sessions) as session:
        update_outcomes(session, job_id=job_id, rows=(after for _, after in changes))
        still_kept = {
            row.file_name for row in iter_images(session, job_id=job_id, status=Status.KEPT)
        }
    for before, after in changes:
        if before.file_name and after.file_name is None and before.file_name not in still_kept:
            ctx.storage.delete(dataset_key(job_id, before.file_name))


def demoted(row: ManifestRow, status: Status, reason: str) -> ManifestRow:
    """A kept ``row`` demoted to ``status`` for ``reason``: it no longer has a file."""
    return replace(row, status=status, reason=reason, file_name=None)


def _radius(ctx: JobContext, spec: JobSpec) -> int:
    # The same level and radius the chunks validated and deduplicated with.
    level = ValidationProfile.from_settings(ctx.settings, spec.validation_level).level
    return dedup_threshold(level, ctx.settings.phash_threshold)


@dataclass
class _Merge:
    """Job-wide dedup and per-class cap over kept rows in export order (first one wins)."""

    radius: int
    per_class: int | None
    index: DedupIndex = field(init=False)
    kept: Counter[str] = field(default_factory=Counter)
    #: Demoted file name → the kept image it duplicates (for duplicates that pointed at it).
    moved: dict[str, DuplicateMatch] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = DedupIndex(sqlite3.connect(":memory:"), self.radius)

    def demote(self, rows: Iterable[ManifestRow]) -> Iterator[tuple[ManifestRow, ManifestRow]]:
        """``(before, after)`` for every kept row that must not stay kept."""
        for row in rows:
            match = self.index.find(row.sha256 or "", int(row.phash or "0", 16))
            if match is not None:
                self.moved[row.file_name or ""] = match
                yield row, _duplicate(row, match.kind, match)
            elif self.per_class is not None and self.kept[row.label] >= self.per_class:
                yield row, replace(demoted(row, Status.FILTERED, QUOTA_REASON), retryable=True)
            else:
                self.index.add(row.sha256 or "", int(row.phash or "0", 16), row.label,
                               row.file_name or "")  # fmt: skip
                self.kept[row.label] += 1

    def redirect(self, rows: Iterable[ManifestRow]) -> Iterator[tuple[ManifestRow, ManifestRow]]:
        """Duplicates whose original was demoted point at a kept image instead.

        The row is matched against the job-wide index, as a local build would have matched it;
        its original's original stands in if it matches nothing (its image was not uploaded).
        """
        for row in rows:
            moved = self.moved.get(row.duplicate_of or "")
            if moved is None:
                continue
            match = self.index.find(row.sha256 or "", int(row.phash or "0", 16))
            yield row, _duplicate(row, match.kind if match else "near", match or moved)


def _duplicate(row: ManifestRow, kind: str, original: DuplicateMatch) -> ManifestRow:
    # The reason reads as the local build's ("exact duplicate of images/...").
    reason = f"{kind} duplicate of {original.file_name}"
    return replace(
        demoted(row, Status.DUPLICATE, reason),
        duplicate_of=original.file_name, cross_class=original.label != row.label,
    )  # fmt: skip


class _Counted:
    """Passes rows through, counting them."""

    def __init__(self, rows: Iterable[ManifestRow]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[ManifestRow]:
        for row in self.rows:
            self.count += 1
            yield row
