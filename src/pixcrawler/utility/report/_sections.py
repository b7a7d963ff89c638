"""The report page's statistics sections: balance, resolution, funnels, rejections, leakage."""

from collections.abc import Sequence

from pixcrawler.utility.report._charts import balance_chart, funnel_bar, resolution_chart
from pixcrawler.utility.report._markup import count, esc, label, link, path, percent, plural, table
from pixcrawler.utility.report._model import FunnelCounts, ReportData

REASON_LIMIT = 20
CROSS_CLASS_LIMIT = 500
_FUNNEL_HEAD = ("Candidates", "Downloaded", "Valid", "Unique", "Kept", "Keep rate", "")
_LEGEND = (
    '<div class="legend"><span><i class="seg-kept"></i>kept</span>'
    '<span><i class="seg-dup"></i>duplicate</span>'
    '<span><i class="seg-invalid"></i>invalid or filtered</span>'
    '<span><i class="seg-failed"></i>not downloaded</span></div>'
)


def card(anchor: str, title: str, body: str) -> str:
    """One titled card section that the navigation bar links to."""
    return f'<section class="card" id="{anchor}"><h2>{esc(title)}</h2>{body}</section>'


def balance_section(data: ReportData, target: int | None) -> str:
    """Kept images per class, with the classes below the median (or target) highlighted."""
    counts = [(c.label, c.funnel.kept) for c in data.classes]
    line = f"the target of {count(target)}" if target is not None else "the median"
    legend = (
        '<div class="legend"><span><i class="bar"></i>kept images</span>'
        f'<span><i class="bar low"></i>below {line}</span></div>'
    )
    return card("balance", "Class balance", legend + balance_chart(counts, target))


def resolution_section(data: ReportData) -> str:
    """How large the kept images are, by their shorter side."""
    note = '<p class="note">Shorter side (min of width and height) of every kept image.</p>'
    return card("resolution", "Resolution", resolution_chart(data.resolution) + note)


def funnel_section(data: ReportData) -> str:
    """The funnel per class and per source (engine or URL list), as tables with stacked bars."""
    by_class = table(
        ("Class", "Folder", *_FUNNEL_HEAD),
        ([label(c.label), _folder(c.folder), *_funnel_cells(c.funnel)] for c in data.classes),
        numeric=frozenset(range(2, 8)),
        foot=("Total", "", *_funnel_cells(data.totals)),
    )
    by_source = table(
        ("Source", *_FUNNEL_HEAD),
        ([esc(s.source), *_funnel_cells(s.funnel)] for s in data.sources),
        numeric=frozenset(range(1, 7)),
    )
    return card(
        "funnel",
        "Funnel",
        f"{_LEGEND}<h3>Per class</h3>{by_class}<h3 class='gap'>Per source</h3>{by_source}",
    )


def reasons_section(data: ReportData) -> str:
    """The most frequent reasons candidates were not kept."""
    if not data.reasons:
        return card("rejections", "Top rejection reasons", '<p class="empty">Nothing rejected.</p>')
    rejected = data.totals.candidates - data.totals.kept
    shown = data.reasons[:REASON_LIMIT]
    body = table(
        ("Status", "Reason", "Count", "Share of rejected"),
        (
            [f'<span class="badge {esc(r.status)}">{esc(r.status)}</span>', esc(r.reason),
             count(r.count), percent(r.count, rejected)]
            for r in shown
        ),
        numeric=frozenset({2, 3}),
    )  # fmt: skip
    more = len(data.reasons) - len(shown)
    note = f'<p class="note">{count(more)} rarer reasons not shown.</p>' if more > 0 else ""
    return card("rejections", "Top rejection reasons", body + note)


def cross_class_section(data: ReportData) -> str:
    """Candidates whose image was already kept under another class: possible label leakage."""
    rows = data.cross_class
    if not rows:
        body = '<p class="empty">No image was found under two classes.</p>'
        return card("cross-class", "Cross-class duplicates", body)
    shown = rows[:CROSS_CLASS_LIMIT]
    body = table(
        ("Rejected URL", "Its class", "Duplicate of"),
        ([f'<span class="url" title="{esc(r.url)}">{link(r.url)}</span>', label(r.label),
          path(r.duplicate_of or "?")] for r in shown),
    )  # fmt: skip
    intro = (
        f'<p class="note">{plural(len(rows), "candidate")} repeated an image already kept under '
        "another class. The first class seen kept it; check that both labels are right.</p>"
    )
    more = len(rows) - len(shown)
    tail = f'<p class="note">…and {count(more)} more (see manifest.jsonl).</p>' if more else ""
    return card("cross-class", "Cross-class duplicates", intro + body + tail)


def _funnel_cells(f: FunnelCounts) -> Sequence[str]:
    return (
        *(count(n) for n in (f.candidates, f.downloaded, f.valid, f.unique, f.kept)),
        percent(f.kept, f.candidates),
        funnel_bar(f),
    )


def _folder(folder: str | None) -> str:
    return path(folder) if folder else '<span class="empty">–</span>'
