"""Google Images, best effort: image URLs read from the script data embedded in the result page.

The page carries ``["https://…/cat.jpg",height,width]`` triples (thumbnails on gstatic, then the
originals) and, per result, a ``"2003":[null,"<id>","<page url>","<title>",…]`` block. Google
changes this markup without notice; when it does, the parser finds nothing and says so.
"""

import json
import re
from typing import Any, ClassVar

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._values import integer, string_set, without_tracking
from pixcrawler.records import Candidate

PAGE_SIZE = 100
MAX_PAGES = 5
_TRIPLE = re.compile(r'\["(https?://[^"]+)",(\d+),(\d+)\]')
_PAGE_BLOCK = re.compile(r'"2003":\[null,"[^"]*","(https?://[^"]+)","((?:[^"\\]|\\.)*)"')
_THUMBNAIL_HOSTS = ("encrypted-tbn", "gstatic.com")
#: How far past an image's triple its "2003" block may be, in characters.
_BLOCK_WINDOW = 4000


class GoogleEngine:
    """Google's image search, paged by ``ijn`` until a page adds nothing or five pages."""

    name: ClassVar[str] = "google"
    supports_licenses: ClassVar[bool] = False

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """``GET {base}/search?q=…&tbm=isch&ijn=0&start=0``."""
        return _request(base_url, query, page=0, seen=frozenset())

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """Original image URLs (thumbnails skipped), with page URL and title when found."""
        if not isinstance(body, str):
            return Page((), None, note=f"malformed response: {type(body).__name__}, not HTML")
        found = _candidates(body, query)
        if not found:
            return Page((), None, note="parser found nothing")
        seen = string_set(request.state.get("seen"))
        new = tuple(c for c in found if c.url not in seen)
        page = integer(request.state.get("page")) + 1
        if not new or page >= MAX_PAGES:
            return Page(new, None)
        base_url = str(request.state.get("base_url", ""))
        seen = seen | {c.url for c in new}
        return Page(new, _request(base_url, query, page=page, seen=seen))


def _request(base_url: str, query: SearchQuery, *, page: int, seen: frozenset[str]) -> PageRequest:
    return PageRequest(
        f"{base_url}/search",
        params={
            "q": query.text,
            "tbm": "isch",
            "ijn": page,
            "start": page * PAGE_SIZE,
            "safe": "active" if query.safe_search else "off",
        },
        headers={"Accept": "text/html,*/*;q=0.8"},
        state={"base_url": base_url, "page": page, "seen": seen},
    )


def _candidates(body: str, query: SearchQuery) -> tuple[Candidate, ...]:
    triples = list(_TRIPLE.finditer(body))
    found: dict[str, Candidate] = {}
    for index, triple in enumerate(triples):
        url = without_tracking(_unescape(triple.group(1)))
        if any(host in url for host in _THUMBNAIL_HOSTS) or url in found:
            continue
        end = triples[index + 1].start() if index + 1 < len(triples) else len(body)
        block = _PAGE_BLOCK.search(body, triple.end(), min(end, triple.end() + _BLOCK_WINDOW))
        found[url] = Candidate(
            url=url,
            label=query.label,
            query=query.text,
            source=GoogleEngine.name,
            page_url=without_tracking(_unescape(block.group(1))) if block else None,
            title=(_unescape(block.group(2)) or None) if block else None,
        )
    return tuple(found.values())


def _unescape(value: str) -> str:
    """Undo the JavaScript string escapes (``\\u003d``, ``\\u0026``, ``\\/``) of script data."""
    try:
        decoded = json.loads(f'"{value}"')
    except ValueError:
        return value.replace("\\u003d", "=").replace("\\u0026", "&")
    return decoded if isinstance(decoded, str) else value
