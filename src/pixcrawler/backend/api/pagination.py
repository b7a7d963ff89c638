"""Cursor pagination: an opaque, URL-safe token holding the last row's key."""

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import Query

from pixcrawler.backend.api.problems import ApiError

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most items on one page.")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="``next_cursor`` of the previous page.")
]


def encode_cursor(value: Any) -> str:
    """The token for ``value`` (an id, a key tuple…)."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> Any:
    """The value in ``token`` (None without one).

    Raises:
        ApiError: 400 for a token this API did not make.
    """
    if token is None:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "bad_cursor", "cursor is not one this API returned") from exc


def int_cursor(token: str | None) -> int | None:
    """A cursor that must hold an integer id."""
    value = decode_cursor(token)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ApiError(400, "bad_cursor", "cursor is not one this API returned")
    return value
