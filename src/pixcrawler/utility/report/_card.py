"""Write the dataset card: Hugging Face YAML front matter, then summary, tables and caveats."""

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

import yaml

from pixcrawler.utility.report._licences import hf_licence_id
from pixcrawler.utility.report._markup import plural, safe_href
from pixcrawler.utility.report._model import (
    FUNNEL_SEMANTICS,
    UNKNOWN_LICENCE,
    FunnelCounts,
    ReportData,
)

CARD_REASON_LIMIT = 10
CARD_ATTRIBUTION_LIMIT = 200
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_UNSAFE_IN_CODE = re.compile(r"[`|\s]")
_UNSAFE_IN_LINK = re.compile(r"[<>\s]")
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                    (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))  # fmt: skip


def render_card(data: ReportData, *, title: str, generated_at: datetime) -> str:
    """The dataset card (``README.md``) as Markdown with YAML front matter."""
    sections = (
        _summary(data, title, generated_at),
        _classes(data),
        _loading(data.name),
        _funnel(data),
        _reasons(data),
        _licences(data),
        _limitations(data),
    )
    return f"---\n{front_matter(data, title)}---\n\n" + "\n".join(sections)


def front_matter(data: ReportData, title: str) -> str:
    """The YAML header the Hugging Face Hub reads: licence, task, size and display name."""
    licence = data.single_licence
    url = data.licences[0].url if data.licences else None
    fields = {
        "license": hf_licence_id(licence, url) if licence else "other",
        "task_categories": ["image-classification"],
        "size_categories": [size_category(data.totals.kept)],
        "pretty_name": title,
    }
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` examples."""
    return next((name for limit, name in _SIZE_CATEGORIES if n < limit), "n>10M")


def md(value: object) -> str:
    """Text safe inside Markdown prose and table cells: no HTML, no formatting, one line."""
    text = escape(" ".join(str(value).split()), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """Inline code, unless the text could break out of the span or a table cell."""
    return f"`{text}`" if not _UNSAFE_IN_CODE.search(text) else md(text)


def _link(text: str, url: str | None) -> str:
    """A Markdown link to an http(s) URL, or ``text`` alone when the URL is missing or unsafe."""
    href = safe_href(url)
    if href is None or _UNSAFE_IN_LINK.search(href):
        return text
    return f"[{text}](<{href}>)"


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _summary(data: ReportData, title: str, generated_at: datetime) -> str:
    t = data.totals
    sources = ", ".join(f"{md(s.source)} ({s.funnel.kept:,} kept)" for s in data.sources)
    return (
        f"# {md(title)}\n\n## Summary\n\n"
        f"{t.kept:,} images in {len(data.classes):,} classes, kept from {t.candidates:,} candidate "
        f"URLs ({_share(t.kept, t.candidates)}). Built with PixCrawler; card written "
        f"{generated_at:%Y-%m-%d}. Sources: {sources or 'none'}.\n\n"
        "Layout: `images/<class-folder>/<file>`; `metadata.jsonl` describes every kept image "
        "(source URL, licence, attribution); `manifest.jsonl` records every candidate and why it "
        "was or was not kept; `labels/` maps files to class indices.\n"
    )


def _classes(data: ReportData) -> str:
    rows = (
        (
            "" if c.index is None else c.index,
            md(c.label),
            _code(c.folder) if c.folder else "–",
            f"{c.funnel.kept:,}",
            _share(c.funnel.kept, data.totals.kept),
        )
        for c in data.classes
    )
    return "## Classes\n\n" + _table(("Index", "Class", "Folder", "Kept", "Share"), rows)


def _loading(name: str) -> str:
    folder = json.dumps(name, ensure_ascii=False)
    images = json.dumps(f"{name}/images", ensure_ascii=False)
    return (
        "## How to load\n\n```python\nfrom torchvision.datasets import ImageFolder\n\n"
        f"dataset = ImageFolder({images})  # classes and indices as in labels/classes.json\n"
        "```\n\n```python\nfrom datasets import load_dataset\n\n"
        f'dataset = load_dataset("imagefolder", data_dir={folder})  # reads metadata.jsonl too\n'
        "```\n"
    )


def _funnel(data: ReportData) -> str:
    def cells(f: FunnelCounts) -> tuple[str, ...]:
        return tuple(f"{n:,}" for n in (f.candidates, f.downloaded, f.valid, f.unique, f.kept))

    rows = [(md(c.label), *cells(c.funnel)) for c in data.classes]
    rows.append(("**Total**", *cells(data.totals)))
    head = ("Class", "Candidates", "Downloaded", "Valid", "Unique", "Kept")
    terms = "\n".join(f"- **{k}**: {v}." for k, v in FUNNEL_SEMANTICS)
    return f"## Funnel\n\n{_table(head, rows)}\n{terms}\n"


def _reasons(data: ReportData) -> str:
    if not data.reasons:
        return "## Top rejection reasons\n\nNo candidate was rejected.\n"
    rows = ((md(r.status), md(r.reason), f"{r.count:,}") for r in data.reasons[:CARD_REASON_LIMIT])
    return "## Top rejection reasons\n\n" + _table(("Status", "Reason", "Count"), rows)


def _licences(data: ReportData) -> str:
    rows = ((_link(md(lc.licence), lc.url), f"{lc.count:,}") for lc in data.licences)
    if not data.licences:
        return "## Licences and attribution\n\nNo kept images, so no licences.\n"
    text = "## Licences and attribution\n\n" + _table(("Licence", "Images"), rows)
    if any(lc.licence == UNKNOWN_LICENCE for lc in data.licences):
        text += "\nImages with an **unknown** licence need review before redistribution.\n"
    return text + _attribution(data)


def _attribution(data: ReportData) -> str:
    if not data.attribution_total:
        return "\nNo kept image asks for attribution.\n"
    shown = data.attributions[:CARD_ATTRIBUTION_LIMIT]
    lines = "".join(
        f"- {_code(a.file_name)}: {md(a.credit or 'author not given')} ({md(a.licence)}, "
        f"{_link('source', a.page_url or a.source_url)})\n"
        for a in shown
    )
    more = data.attribution_total - len(shown)
    tail = f"- …and {more:,} more: see `attribution` in `metadata.jsonl`.\n" if more else ""
    return f"\n{data.attribution_total:,} images ask for attribution:\n\n{lines}{tail}"


def _limitations(data: ReportData) -> str:
    near = sum(r.count for r in data.reasons if r.reason.startswith("near duplicate"))
    return (
        "## Known limitations\n\n"
        "- Images were scraped from the web: labels come from search queries and were not "
        "checked by hand, and sources may be biased or mislabelled.\n"
        f"- Near duplicates ({near:,} removed) are found by perceptual hash within the build's "
        "Hamming-distance threshold (`PIXCRAWLER_PHASH_THRESHOLD`, 6 bits by default); "
        "near-identical images beyond it may remain.\n"
        f"- Cross-class leakage: {plural(len(data.cross_class), 'candidate')} repeated an image "
        "already kept under another class; the first class seen kept it.\n"
        "- Licences are as reported by each source and were not verified.\n"
    )
