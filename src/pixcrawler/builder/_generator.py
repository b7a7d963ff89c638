"""Dataset layout: stores kept images, records every candidate, exports labels and manifests.

Layout of a dataset ``DIR``::

    DIR/images/<class-slug>/<sha256[:20]>.<ext>   torchvision ImageFolder(DIR/images)
    DIR/metadata.jsonl                            Hugging Face imagefolder metadata
    DIR/manifest.jsonl                            one row per candidate URL, with status and reason
    DIR/labels/labels.<fmt>, classes.<fmt>        json, csv, yaml, txt
    DIR/.pixcrawler/state.sqlite                  resume state and the dedup index
"""

import asyncio
import io
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path

from PIL import Image

from pixcrawler.builder.dataset import export_dataset
from pixcrawler.builder.dataset import state as _state
from pixcrawler.builder.dataset.slug import unique_slugs
from pixcrawler.records import (
    Candidate,
    Download,
    ImageInfo,
    ManifestRow,
    Outcome,
    QueryReport,
    Status,
)
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.dedup import DedupIndex

logger = get_logger(__name__)

_COMMIT_EVERY = 256
#: The name the writer gives an image (``<sha256[:20]><ext>``), or its partial file.
_OUR_FILE = re.compile(r"[0-9a-f]{20}\.[a-z0-9]+(\.part)?")
_FINISHED = "SELECT 1 FROM candidates WHERE url = ? AND label = ? AND retryable = 0"
_KEPT_FILES = "SELECT file_name FROM candidates WHERE status = ?"
_STRAY_INDEX_ENTRIES = (
    "DELETE FROM dedup_index WHERE file_name NOT IN "
    "(SELECT file_name FROM candidates WHERE status = ? AND file_name IS NOT NULL)"
)
_CLASSES_SCHEMA = "CREATE TABLE IF NOT EXISTS classes (label TEXT PRIMARY KEY, slug TEXT UNIQUE)"


class DatasetError(ValueError):
    """The output folder cannot hold a dataset (it is a file, or not writable)."""


class DatasetWriter:
    """Owns one dataset folder: the only code that writes images or state into it."""

    def __init__(self, root: Path, *, phash_threshold: int) -> None:
        if root.exists() and not root.is_dir():
            raise DatasetError(f"output path {root} exists and is not a directory")
        try:
            (root / "images").mkdir(parents=True, exist_ok=True)
            self.conn = _state.open_state(root)
        except (OSError, sqlite3.Error) as exc:
            raise DatasetError(f"cannot write a dataset in {root}: {exc}") from exc
        self.root = root
        self.conn.execute(_CLASSES_SCHEMA)
        self.index = DedupIndex(self.conn, phash_threshold)
        if _reconcile(root, self.conn):
            self.index.reload()
        self._slugs: dict[str, str] = dict(
            self.conn.execute("SELECT label, slug FROM classes ORDER BY rowid")
        )
        self.kept = Counter(_state.kept_counts(self.conn))
        self._first_new_seq = _state.next_seq(self.conn)
        self._pending = 0

    def is_finished(self, candidate: Candidate) -> bool:
        """Whether an earlier run already settled this candidate for good."""
        # Asked of the state's primary key, not a set loaded at start: memory stays flat on a
        # rerun of a list of any length. A row settled earlier in this run answers True too.
        found = self.conn.execute(_FINISHED, (candidate.url, candidate.label)).fetchone()
        return found is not None

    async def store(
        self,
        candidate: Candidate,
        download: Download,
        info: ImageInfo,
        *,
        order: int,
        executor: Executor | None = None,
    ) -> Outcome:
        """Keep the image unless it duplicates one already kept; record the outcome.

        The dedup decision and the index entry happen at once on the event loop (so two
        copies arriving together cannot both be kept); the file is written on ``executor``.
        """
        match = self.index.find(download.sha256, info.phash, fingerprint=info.fingerprint)
        if match is not None:
            outcome = Outcome(
                candidate,
                Status.DUPLICATE,
                f"{match.kind} duplicate of {match.file_name}",
                attempts=download.attempts,
                sha256=download.sha256,
                info=info,
                duplicate_of=match,
            )
            self.record(outcome, order=order)
            return outcome
        extension = ".png" if info.format == "GIF" else info.extension
        file_name = f"images/{self.slug_for(candidate.label)}/{download.sha256[:20]}{extension}"
        self.index.add(download.sha256, info.phash, candidate.label, file_name, info.fingerprint)
        written = asyncio.get_running_loop().run_in_executor(
            executor, _write_image, self.root / file_name, download, info
        )
        try:
            await asyncio.shield(written)
        except asyncio.CancelledError:
            # The thread finishes the write anyway: record it, so disk and manifest agree.
            await asyncio.wait({written})
            if written.exception() is None:
                self._keep(candidate, download, info, file_name, order)
            raise
        except BaseException:
            self.index.remove(download.sha256)  # Not on disk, so nothing to duplicate.
            raise
        return self._keep(candidate, download, info, file_name, order)

    def _keep(
        self, candidate: Candidate, download: Download, info: ImageInfo, file_name: str, order: int
    ) -> Outcome:
        outcome = Outcome(
            candidate,
            Status.KEPT,
            "kept",
            attempts=download.attempts,
            sha256=download.sha256,
            file_name=file_name,
            info=info,
        )
        self.kept[candidate.label] += 1
        self.record(outcome, order=order)
        return outcome

    def record(self, outcome: Outcome, *, order: int, retryable: bool = False) -> None:
        """Persist one manifest row; retryable rows are tried again by the next run.

        ``order`` is the candidate's position in this run's input: exports list candidates in
        input order, and a row first seen in an earlier run keeps its earlier place.
        """
        row = ManifestRow.from_outcome(outcome, retryable=retryable)
        _state.record(self.conn, row, seq=self._first_new_seq + order)
        self._pending += 1
        if self._pending >= _COMMIT_EVERY:
            self.commit()

    def record_query(self, report: QueryReport) -> None:
        """Remember what one engine query produced (the report's per-engine view)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO queries VALUES (?, ?, ?, ?, ?, ?)",
            (report.label, report.query, report.engine, report.pages, report.candidates,
             report.error),
        )  # fmt: skip

    def commit(self) -> None:
        """Make every recorded row durable."""
        self.conn.commit()
        self._pending = 0

    def export(self, label_formats: Iterable[str]) -> None:
        """Write manifest, metadata and label files from the state (atomic replacements)."""
        self.commit()
        export_dataset(self.root, _state.iter_rows(self.conn), self._slugs, tuple(label_formats))

    def close(self) -> None:
        """Commit and close the state database."""
        self.commit()
        self.conn.close()

    def slug_for(self, label: str) -> str:
        """The class folder of ``label``: a safe slug, stable across runs, unique per label."""
        if label not in self._slugs:
            # Slugs are assigned first-come in insertion order, the order ``unique_slugs`` follows.
            slug = unique_slugs([*self._slugs, label])[label]
            self.conn.execute("INSERT INTO classes (label, slug) VALUES (?, ?)", (label, slug))
            self._slugs[label] = slug
        return self._slugs[label]


def _reconcile(root: Path, conn: sqlite3.Connection) -> bool:
    """Make ``images/`` and the state agree again after a hard kill (SIGKILL, power loss).

    An image is written before its row, and rows commit in batches, so a killed run can leave
    files no row describes (and dedup entries pointing at them); a deleted file leaves a row
    without its file. Files without a kept row are removed (the rerun fetches their URLs again,
    since no row settled them); kept rows without their file are forgotten, so they are tried
    again; dedup entries follow the kept rows. Afterwards every file has its row and every row
    its file, whatever the rerun's requests answer. Returns whether anything changed.
    """
    kept = {name for (name,) in conn.execute(_KEPT_FILES, (str(Status.KEPT),)) if name}
    on_disk: set[str] = set()
    removed = 0
    for path in (root / "images").rglob("*"):
        name = path.relative_to(root).as_posix()
        if not path.is_file() or name in kept or not _OUR_FILE.fullmatch(path.name):
            on_disk.add(name)  # a folder, a recorded image, or a file we did not write
            continue
        path.unlink(missing_ok=True)  # an unrecorded image, or a .part cut short
        removed += 1
    missing = [(name,) for name in kept - on_disk]
    conn.executemany("DELETE FROM candidates WHERE status = 'kept' AND file_name = ?", missing)
    stray = conn.execute(_STRAY_INDEX_ENTRIES, (str(Status.KEPT),)).rowcount
    conn.commit()
    if not (removed or missing or stray):
        return False
    logger.bind(
        operation="recover", removed_files=removed, missing_files=len(missing), stray_index=stray
    ).warning("images and state disagreed after an interrupted run; reconciled")
    return True


def _write_image(target: Path, download: Download, info: ImageInfo) -> None:
    """Write the stored form of the image atomically (runs on a worker thread)."""
    content = _storable(download.content, info)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, target)  # Readers and an interrupted run never see half a file.


def _storable(content: bytes, info: ImageInfo) -> bytes:
    """Bytes to store: GIFs become their first frame as PNG.

    torchvision's ImageFolder does not list ``.gif`` files, so a kept GIF would silently vanish
    from training; the recorded sha256 stays that of the downloaded source bytes.
    """
    if info.format != "GIF":
        return content
    with Image.open(io.BytesIO(content)) as image:
        image.seek(0)
        buffer = io.BytesIO()
        image.convert("RGBA" if "transparency" in image.info else "RGB").save(buffer, "PNG")
    return buffer.getvalue()
