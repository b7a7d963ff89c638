"""Tiny HTML building blocks: escaping, safe links, numbers and tables."""

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import urlsplit


def esc(value: object) -> str:
    """``value`` as text safe in element content and in quoted attributes."""
    return escape(str(value), quote=True)


def label(text: str) -> str:
    """A class label, escaped and isolated so right-to-left names do not reorder their row."""
    return f"<bdi>{esc(text)}</bdi>"


def path(file_name: str) -> str:
    """A dataset-relative path as code, each segment isolated so RTL folder names stay in place."""
    return "<code>" + "/".join(label(part) for part in file_name.split("/")) + "</code>"


def plural(n: int, noun: str) -> str:
    """ "1 image", "2 images": a count and its noun."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an http(s) address; ``javascript:`` and friends never become links."""
    if not url:
        return None
    return url if urlsplit(url).scheme.lower() in {"http", "https"} else None


def link(url: str | None, text: str | None = None) -> str:
    """An outbound link (``rel=noopener``), or the escaped text alone when the URL is unsafe."""
    shown = esc(text if text is not None else url or "")
    href = safe_href(url)
    if href is None:
        return shown
    return f'<a href="{esc(href)}" rel="noopener noreferrer nofollow">{shown}</a>'


def count(n: int) -> str:
    """A count with thousands separators."""
    return f"{n:,}"


def percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole``: "12.5%", or "–" when ``whole`` is zero."""
    return f"{100 * part / whole:.1f}%" if whole else "–"


def table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: frozenset[int] = frozenset(),
    foot: Sequence[str] | None = None,
) -> str:
    """A table from already-escaped cells; columns in ``numeric`` are right-aligned."""

    def cells(tag: str, values: Sequence[str]) -> str:
        return "".join(
            f'<{tag} class="num">{v}</{tag}>' if i in numeric else f"<{tag}>{v}</{tag}>"
            for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    tail = f"<tfoot><tr>{cells('th', foot)}</tr></tfoot>" if foot else ""
    return (
        f'<div class="scroll"><table><thead><tr>{cells("th", head)}</tr></thead>'
        f"<tbody>{body}</tbody>{tail}</table></div>"
    )
