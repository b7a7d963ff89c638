"""Dataset reports: a self-contained HTML page and a Hugging Face style dataset card.

Both are built from the exported files alone (``manifest.jsonl``, ``metadata.jsonl``,
``labels/classes.json`` and the kept images)::

    from pixcrawler.utility.report import write_report

    paths = write_report(Path("datasets/pets"), title="Pets")
    print(paths.html, paths.card)

:func:`summarize` returns the numbers both files show, as plain data.
"""

from pixcrawler.utility.report._model import (
    Attribution,
    ClassSummary,
    CrossClassDuplicate,
    FunnelCounts,
    LicenceCount,
    Reason,
    ReportData,
    Sample,
    SourceSummary,
)
from pixcrawler.utility.report._reading import ReportError
from pixcrawler.utility.report._summary import summarize
from pixcrawler.utility.report._writer import ReportPaths, write_report

__all__ = [
    "Attribution",
    "ClassSummary",
    "CrossClassDuplicate",
    "FunnelCounts",
    "LicenceCount",
    "Reason",
    "ReportData",
    "ReportError",
    "ReportPaths",
    "Sample",
    "SourceSummary",
    "summarize",
    "write_report",
]
