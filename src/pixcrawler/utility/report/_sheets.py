"""The report page's image sections: licences with attribution, and per-class contact sheets."""

from collections.abc import Mapping

from pixcrawler.utility.report._markup import count, esc, label, link, path, percent, plural, table
from pixcrawler.utility.report._model import UNKNOWN_LICENCE, Attribution, ReportData, Sample
from pixcrawler.utility.report._sections import card


def licences_section(data: ReportData) -> str:
    """Licence counts with links to their texts, then the images that must be credited."""
    kept = data.totals.kept
    if not data.licences:
        return card("licences", "Licences", '<p class="empty">No kept images.</p>')
    body = table(
        ("Licence", "Images", "Share"),
        (
            [link(lc.url, lc.licence), count(lc.count), percent(lc.count, kept)]
            for lc in data.licences
        ),
        numeric=frozenset({1, 2}),
    )
    if any(lc.licence == UNKNOWN_LICENCE for lc in data.licences):
        body += (
            '<p class="note">Images with an <strong>unknown</strong> licence need review before '
            "you redistribute them.</p>"
        )
    return card("licences", "Licences", body + _attribution_list(data))


def sheets_section(data: ReportData, thumbs: Mapping[str, str | None]) -> str:
    """A thumbnail grid per class, the first images by file name; hover shows source and licence."""
    sheets = [
        _sheet(c.label, c.folder, c.funnel.kept, data.samples.get(c.label, ()), thumbs)
        for c in data.classes
    ]
    return card("sheets", "Contact sheets", "".join(sheets))


def _attribution_list(data: ReportData) -> str:
    if not data.attribution_total:
        return '<p class="note">No kept image asks for attribution.</p>'
    items = "".join(_attribution_item(a) for a in data.attributions)
    more = data.attribution_total - len(data.attributions)
    tail = f'<p class="note">…and {count(more)} more in metadata.jsonl.</p>' if more > 0 else ""
    return (
        f"<details><summary>Attribution: {plural(data.attribution_total, 'image')} "
        "ask to be credited</summary>"
        f'<ol class="attribution">{items}</ol>{tail}</details>'
    )


def _attribution_item(entry: Attribution) -> str:
    credit = esc(entry.credit) if entry.credit else '<span class="empty">author not given</span>'
    where = link(entry.page_url or entry.source_url, "source")
    return f"<li>{path(entry.file_name)} — {credit} ({esc(entry.licence)}, {where})</li>"


def _sheet(
    name: str,
    folder: str | None,
    kept: int,
    samples: tuple[Sample, ...],
    thumbs: Mapping[str, str | None],
) -> str:
    where = f" {path(f'images/{folder}/')}" if folder else ""
    shown = f" · showing first {count(len(samples))}" if len(samples) < kept else ""
    head = f'<h3>{label(name)}<span class="count">{count(kept)} kept{shown}</span>{where}</h3>'
    if not samples:
        return f'<div class="sheet">{head}<p class="empty">No kept images.</p></div>'
    cells = "".join(_thumb(sample, thumbs.get(sample.file_name)) for sample in samples)
    return f'<div class="sheet">{head}<div class="grid">{cells}</div></div>'


def _thumb(sample: Sample, uri: str | None) -> str:
    source = sample.source_url or "source unknown"
    tip = esc(f"{sample.file_name}\n{source}\nlicence: {sample.licence}")
    if uri is None:
        return f'<div class="thumb missing" title="{tip}">unreadable</div>'
    return f'<img class="thumb" src="{uri}" alt="" title="{tip}" width="96" height="96">'
