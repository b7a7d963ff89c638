"""Inline SVG charts drawn by hand: class balance, resolution histogram and funnel bars.

Colours come from CSS classes (``bar``, ``bar low``, ``seg-kept``, …) that the page styles, so
the charts follow its light and dark themes.
"""

import statistics
from collections.abc import Sequence
from html import escape

from pixcrawler.utility.report._model import FunnelCounts

_LABEL_CHARS = 20
_ROW = 22
_LABEL_WIDTH = 150
_BAR_WIDTH = 300


def balance_chart(counts: Sequence[tuple[str, int]], target: int | None = None) -> str:
    """Horizontal bars of kept images per class; classes below the median or target stand out."""
    if not counts:
        return '<p class="empty">No classes.</p>'
    line = target if target is not None else statistics.median(n for _, n in counts)
    scale = _BAR_WIDTH / max(*(n for _, n in counts), line, 1)
    height = _ROW * len(counts) + 24
    rows = [_balance_row(i, label, n, n < line, scale) for i, (label, n) in enumerate(counts)]
    marker = _threshold(line * scale, height, "target" if target is not None else "median", line)
    return _svg(_LABEL_WIDTH + _BAR_WIDTH + 60, height, "Kept images per class", [*rows, marker])


def resolution_chart(buckets: Sequence[tuple[str, int]]) -> str:
    """Vertical bars: kept images per shorter-side bucket (pixels)."""
    width, height, top, bottom = 510, 230, 24, 40
    slot = width / max(len(buckets), 1)
    scale = (height - top - bottom) / max(max((n for _, n in buckets), default=0), 1)
    parts = []
    for i, (label, n) in enumerate(buckets):
        x, bar = i * slot + slot * 0.15, n * scale
        y = height - bottom - bar
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar:.1f}" rx="3"><title>{escape(label)} px: {n:,}</title></rect>'
            f'<text class="value" x="{x + slot * 0.35:.1f}" y="{y - 6:.1f}" '
            f'text-anchor="middle">{n:,}</text>'
            f'<text class="axis" x="{x + slot * 0.35:.1f}" y="{height - bottom + 18}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    axis = f'<line class="rule" x1="0" x2="{width}" y1="{height - bottom}" y2="{height - bottom}"/>'
    return _svg(width, height, "Kept images by shorter side in pixels", [*parts, axis])


def funnel_bar(funnel: FunnelCounts, width: int = 160) -> str:
    """A small stacked bar: kept, then the candidates lost at dedup, validation and download."""
    segments = (
        ("seg-kept", "kept", funnel.kept),
        ("seg-dup", "duplicates", funnel.valid - funnel.unique),
        ("seg-invalid", "invalid or filtered after download", funnel.downloaded - funnel.valid),
        ("seg-failed", "not downloaded", funnel.candidates - funnel.downloaded),
    )
    scale, x, parts = width / max(funnel.candidates, 1), 0.0, []
    for css, name, n in segments:
        if n > 0:
            parts.append(
                f'<rect class="{css}" x="{x:.2f}" y="0" width="{n * scale:.2f}" height="12">'
                f"<title>{name}: {n:,}</title></rect>"
            )
            x += n * scale
    return (
        f'<svg class="funnel-bar" width="{width}" height="12" viewBox="0 0 {width} 12" '
        f'role="img" aria-label="funnel">{"".join(parts)}</svg>'
    )


def _balance_row(i: int, label: str, n: int, low: bool, scale: float) -> str:
    y, bar = 12 + i * _ROW, max(n * scale, 1.0 if n else 0.0)
    short = label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"
    css = "bar low" if low else "bar"
    return (
        f"<g><title>{escape(label)}: {n:,} kept</title>"
        f'<text class="axis" x="{_LABEL_WIDTH - 10}" y="{y + 14}" text-anchor="end">'
        f"{escape(short)}</text>"
        f'<rect class="{css}" x="{_LABEL_WIDTH}" y="{y + 3}" width="{bar:.1f}" height="15" rx="3"/>'
        f'<text class="value" x="{_LABEL_WIDTH + bar + 6:.1f}" y="{y + 15}">{n:,}</text></g>'
    )


def _threshold(x: float, height: int, name: str, value: float) -> str:
    left = _LABEL_WIDTH + x
    return (
        f'<line class="threshold" x1="{left:.1f}" x2="{left:.1f}" y1="4" y2="{height - 4}"/>'
        f'<text class="axis" x="{left + 4:.1f}" y="10">{name} {_plain(value)}</text>'
    )


def _svg(width: float, height: float, title: str, parts: Sequence[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
