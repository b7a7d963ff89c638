"""Baidu Images: the ``/search/acjson`` JSON-ish endpoint, 30 results a page by ``pn`` offset.

Baidu's JSON is not always JSON (it escapes single quotes as ``\\'``), so the body is read as
text and decoded leniently here. Its ``objURL``/``fromURL`` fields are often obfuscated with a
fixed substitution, undone by :func:`decode_obj_url`.
"""

import json
from typing import Any, ClassVar

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._html import strip_tags
from pixcrawler.builder.discovery.engines._values import as_dict, as_list, http_url, integer, text
from pixcrawler.records import Candidate

PAGE_SIZE = 30
_TOKENS = (("_z2C$q", ":"), ("_z&e3B", "."), ("AzdH3F", "/"))
_CHARS = str.maketrans(
    "wkv1ju2it3hs4g5rq6fp7eo8dn9cm0bla",
    "abcdefghijklmnopqrstuvw1234567890",
)


class BaiduEngine:
    """Baidu's image search; stops on a page without results or past ``displayNum``."""

    name: ClassVar[str] = "baidu"
    supports_licenses: ClassVar[bool] = False

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """``GET {base}/search/acjson?tn=resultjson_com&word=…&pn=0&rn=30``, read as text."""
        return PageRequest(
            f"{base_url}/search/acjson",
            params=_params(query, offset=0),
            headers={
                "Accept": "text/plain, */*; q=0.01",
                "Referer": f"{base_url}/search/index?tn=baiduimage",
                "X-Requested-With": "XMLHttpRequest",
            },
        )

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """Candidates from ``data`` (its trailing empty object skipped), next by ``pn``."""
        data = lenient_json(body) if isinstance(body, str) else as_dict(body)
        if data is None:
            return Page((), None, note="malformed response: not JSON")
        if data.get("antiFlag"):
            return Page((), None, note=f"blocked: {text(data, 'message') or 'antiFlag set'}")
        if not isinstance(data.get("data"), list):
            return Page((), None, note="malformed response: no 'data' list")
        rows = [row for row in as_list(data["data"]) if as_dict(row)]
        candidates = tuple(c for c in (_candidate(row, query) for row in rows) if c is not None)
        offset = integer(request.params.get("pn")) + PAGE_SIZE
        total = integer(data.get("displayNum"), default=-1)
        if not rows or 0 <= total <= offset:
            return Page(candidates, None)
        next_request = PageRequest(
            request.url, params=_params(query, offset=offset), headers=request.headers
        )
        return Page(candidates, next_request)


def lenient_json(body: str) -> dict[str, Any] | None:
    """The JSON object in ``body``, tolerating Baidu's ``\\'`` escapes and raw control chars."""
    for candidate in (body, body.replace("\\'", "'")):
        try:
            return as_dict(json.loads(candidate, strict=False))
        except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
            continue
    return None


def decode_obj_url(value: str) -> str:
    """Undo Baidu's URL obfuscation (``ippr_z2C$qAzdH3F…`` -> ``http://…``); plain URLs pass."""
    if http_url(value):
        return value
    for token, replacement in _TOKENS:
        value = value.replace(token, replacement)
    return value.translate(_CHARS)


def _params(query: SearchQuery, *, offset: int) -> dict[str, str | int]:
    return {
        "tn": "resultjson_com",
        "ipn": "rj",
        "fp": "result",
        "word": query.text,
        "queryWord": query.text,
        "ie": "utf-8",
        "oe": "utf-8",
        "pn": offset,
        "rn": PAGE_SIZE,
    }


def _replacement(row: dict[str, Any]) -> dict[str, Any]:
    """The first ``replaceUrl`` entry: another copy of the image and its page."""
    return as_dict(next(iter(as_list(row.get("replaceUrl"))), None)) or {}


def _image_url(row: dict[str, Any]) -> str | None:
    """The full-size URL: ``objURL`` decoded, else the first ``replaceUrl``, else Baidu's copy."""
    obj_url = text(row, "objURL")
    replaced = _replacement(row)
    return (
        http_url(decode_obj_url(obj_url) if obj_url else None)
        or http_url(replaced.get("ObjURL") or replaced.get("ObjUrl"))
        or http_url(row.get("middleURL"))
        or http_url(row.get("thumbURL"))
    )


def _candidate(row: dict[str, Any], query: SearchQuery) -> Candidate | None:
    url = _image_url(row)
    if url is None:
        return None
    from_url = text(row, "fromURL")
    page_url = http_url(decode_obj_url(from_url)) if from_url else None
    replaced = _replacement(row)
    title = text(row, "fromPageTitleEnc") or strip_tags(text(row, "fromPageTitle") or "")
    return Candidate(
        url=url,
        label=query.label,
        query=query.text,
        source=BaiduEngine.name,
        page_url=page_url or http_url(replaced.get("FromURL") or replaced.get("FromUrl")),
        title=title or None,
    )
