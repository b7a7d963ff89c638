"""Type-checked reads from decoded JSON, so a parser never trips over an unexpected shape."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

#: Query parameters that only track a click (Commons adds ``utm_*`` to every 2026 thumbnail
#: URL): dropped, so one image reached through two campaigns is one URL for dedup.
_TRACKING = re.compile(r"utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid", re.I)


def as_dict(value: object) -> dict[str, Any] | None:
    """``value`` if it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def as_list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def text(mapping: Mapping[str, Any], key: str) -> str | None:
    """The stripped, non-empty string at ``key``, else None."""
    value = mapping.get(key)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def http_url(value: object) -> str | None:
    """``value`` stripped, tracking parameters removed, if it is an absolute http(s) URL."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value.startswith(("http://", "https://")) or len(value) <= 8:
        return None
    return without_tracking(value)


def without_tracking(url: str) -> str:
    """``url`` without ``utm_*`` and click-id parameters; every other byte kept as it was."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parts.query.split("&")
    kept = [pair for pair in pairs if not _TRACKING.fullmatch(unquote_plus(pair.split("=")[0]))]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def number(value: object) -> int | None:
    """``value`` as a positive int (ints and digit strings), else None."""
    found = integer(value, default=0)
    return found if found > 0 else None


def integer(value: object, default: int = 0) -> int:
    """``value`` as an int (ints and digit strings), else ``default``; booleans are not ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default


def string_set(value: object) -> frozenset[str]:
    """``value`` if it is a frozenset (an engine's "seen" bookkeeping), else an empty one."""
    return value if isinstance(value, frozenset) else frozenset()
