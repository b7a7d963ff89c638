"""Type-checked reads from decoded JSON, so a parser never trips over an unexpected shape."""

from collections.abc import Mapping
from typing import Any


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
    """``value`` stripped if it is an absolute http(s) URL, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value.startswith(("http://", "https://")) and len(value) > 8 else None


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
