"""Bing Images: the ``/images/async`` HTML fragment, one ``a.iusc`` anchor per result.

Paging is by ``first``, counted from 1 as the site does (1, 36, 71…). The licence filter goes
in ``qft`` exactly as the site sends it (``qft=+filterui:license-L1``, colon unencoded): Bing
is reported to ignore a percent-encoded one. It is advisory either way: Bing's results carry no
licence, so nothing can verify it, and a ``--license`` build leaves Bing out.
"""

import json
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._html import elements_with_class_and_text
from pixcrawler.builder.discovery.engines._values import (
    as_dict,
    http_url,
    integer,
    string_set,
    text,
)
from pixcrawler.licenses import only_public_domain
from pixcrawler.records import Candidate

PAGE_SIZE = 35
#: Bing's licence filters: public domain only, or any Creative Commons licence.
PUBLIC_DOMAIN_FILTER = "+filterui:license-L1"
CREATIVE_COMMONS_FILTER = "+filterui:licenseType-Any"
#: Bing wraps the query terms of a title in these private-use characters to highlight them.
_HIGHLIGHT = str.maketrans("", "", "\ue000\ue001")
#: The caption under a result: ``1600 x 1200 · jpeg``.
_SIZE = re.compile(r"(\d{1,5})\s*[x×]\s*(\d{1,5})(?:\s*·\s*(\w+))?")


class BingEngine:
    """Bing's image search, paged by ``first``; it repeats old results once it runs out."""

    name: ClassVar[str] = "bing"
    supports_licenses: ClassVar[bool] = False

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """``GET {base}/images/async?q=…&first=1&count=35``, licence-filtered when asked."""
        return _request(base_url, query, first=1, seen=frozenset())

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """Candidates from each ``a.iusc`` anchor's ``m`` JSON; stops when nothing is new."""
        if not isinstance(body, str):
            return Page((), None, note=f"malformed response: {type(body).__name__}, not HTML")
        anchors = elements_with_class_and_text(body, "a", "iusc")
        if not anchors:
            return Page((), None, note="parser found nothing")
        seen = string_set(request.state.get("seen"))
        candidates = _new_candidates(anchors, seen, query)
        if not candidates:
            return Page((), None)  # only repeats: Bing has nothing more
        seen = seen | {c.url for c in candidates}
        first = integer(request.state.get("first")) + PAGE_SIZE
        base_url = str(request.state.get("base_url", ""))
        return Page(candidates, _request(base_url, query, first=first, seen=seen))


def _request(base_url: str, query: SearchQuery, *, first: int, seen: frozenset[str]) -> PageRequest:
    params: dict[str, str | int] = {
        "q": query.text,
        "first": first,
        "count": PAGE_SIZE,
        "mmasync": 1,
        "adlt": "strict" if query.safe_search else "off",
    }
    raw_query = ""
    if query.licenses:
        pd_only = only_public_domain(query.licenses)
        raw_query = f"qft={PUBLIC_DOMAIN_FILTER if pd_only else CREATIVE_COMMONS_FILTER}"
    return PageRequest(
        f"{base_url}/images/async",
        params=params,
        headers={"Accept": "text/html,*/*;q=0.8"},
        state={"base_url": base_url, "first": first, "seen": seen},
        raw_query=raw_query,
    )


def _new_candidates(
    anchors: Iterable[tuple[dict[str, str], str]], seen: frozenset[str], query: SearchQuery
) -> tuple[Candidate, ...]:
    found: dict[str, Candidate] = {}
    for anchor, caption in anchors:
        candidate = _candidate(anchor.get("m", ""), caption, query)
        if candidate is not None and candidate.url not in seen:
            found.setdefault(candidate.url, candidate)
    return tuple(found.values())


def _candidate(metadata: str, caption: str, query: SearchQuery) -> Candidate | None:
    try:
        fields = as_dict(json.loads(metadata))
    except ValueError:
        return None
    url = http_url(fields.get("murl")) if fields else None
    if fields is None or url is None:
        return None
    page_url = http_url(fields.get("purl"))
    title = (text(fields, "t") or "").translate(_HIGHLIGHT).strip()
    if page_url is None and not title:
        return None  # a product tile (shopping), not an image found on a page
    size = _SIZE.search(caption)
    return Candidate(
        url=url,
        label=query.label,
        query=query.text,
        source=BingEngine.name,
        page_url=page_url,
        title=title or None,
        description=(text(fields, "desc") or "").translate(_HIGHLIGHT).strip() or None,
        width=int(size.group(1)) if size else None,
        height=int(size.group(2)) if size else None,
        file_type=size.group(3) if size and size.group(3) else None,
    )
