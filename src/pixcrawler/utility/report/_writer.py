"""Write ``report.html`` and ``README.md`` into a dataset folder from its exported files."""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pixcrawler.utility.logging_config import get_logger
from pixcrawler.utility.report._card import render_card
from pixcrawler.utility.report._page import render_page
from pixcrawler.utility.report._summary import summarize
from pixcrawler.utility.report._thumbnails import THUMB_PIXELS, thumbnails

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ReportPaths:
    """Where :func:`write_report` put its two files."""

    html: Path
    card: Path


def write_report(
    root: Path,
    *,
    title: str | None = None,
    target_per_class: int | None = None,
    thumbs_per_class: int = 48,
    workers: int = 8,
) -> ReportPaths:
    """Write ``root/report.html`` (self-contained, opens offline) and ``root/README.md``.

    Only the exported files are read: ``manifest.jsonl``, ``metadata.jsonl``,
    ``labels/classes.json`` and the kept images (for thumbnails). Both files are replaced
    atomically, so a failure leaves any earlier report in place.

    Args:
        root: the dataset folder ``pixcrawler build`` wrote.
        title: the display name; defaults to the folder's name.
        target_per_class: highlight classes below this many kept images instead of the median.
        thumbs_per_class: contact-sheet thumbnails per class (the first by file name).
        workers: threads that make thumbnails.

    Returns:
        The paths of the HTML report and the dataset card.

    Raises:
        ReportError: ``manifest.jsonl`` or ``metadata.jsonl`` is missing or malformed.
    """
    data = summarize(root, samples_per_class=thumbs_per_class)
    name = title or data.name
    now = datetime.now(UTC)
    picks = (sample.file_name for samples in data.samples.values() for sample in samples)
    thumbs = thumbnails(root, picks, size=THUMB_PIXELS, workers=workers)
    html = render_page(data, thumbs, title=name, generated_at=now, target=target_per_class)
    paths = ReportPaths(html=root / "report.html", card=root / "README.md")
    _replace(paths.html, html)
    _replace(paths.card, render_card(data, title=name, generated_at=now))
    logger.bind(root=str(root), classes=len(data.classes), thumbnails=len(thumbs)).info(
        "report written"
    )
    return paths


def _replace(path: Path, content: str) -> None:
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)
