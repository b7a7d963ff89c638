"""DuckDuckGo Images: a search page carrying the ``vqd`` token, then ``i.js`` JSON pages."""

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._values import as_dict, as_list, http_url, number, text
from pixcrawler.licenses import only_public_domain
from pixcrawler.records import Candidate

#: The token appears as ``vqd="4-1234"``, ``vqd='4-1234'``, ``vqd=4-1234&``, ``"vqd":"4-1234"``
#: or, on the no-JavaScript pages, as ``<input type="hidden" name="vqd" value="4-1234">``.
_VQD_PATTERNS = (
    re.compile(r"""vqd=["']([\w.-]+)["']"""),
    re.compile(r'"vqd"\s*:\s*"([\w.-]+)"'),
    re.compile(r"vqd=([\w.-]+)&"),
)
_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_INPUT_NAME = re.compile(r"""\bname\s*=\s*["']?vqd["'\s/>]""", re.I)
_INPUT_VALUE = re.compile(r"""\bvalue\s*=\s*["']?([\w.-]+)""", re.I)
#: The sixth field of ``f`` is the licence filter: public domain, or any Creative Commons.
PUBLIC_DOMAIN_FILTER = ",,,,,license:Public"
CREATIVE_COMMONS_FILTER = ",,,,,license:any"
_TOKEN_STEP, _RESULTS_STEP = "token", "results"


class DuckDuckGoEngine:
    """DuckDuckGo's image search: one token page, then JSON pages linked by ``next``."""

    name: ClassVar[str] = "duckduckgo"
    supports_licenses: ClassVar[bool] = False

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """``GET {base}/?q=…&iax=images&ia=images``: the HTML page holding the ``vqd`` token."""
        return PageRequest(
            f"{base_url}/",
            params={"q": query.text, "iax": "images", "ia": "images"},
            headers={"Accept": "text/html,*/*;q=0.8"},
            state={"step": _TOKEN_STEP},
        )

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """The token page yields the first ``i.js`` request; a JSON page yields candidates."""
        if request.state.get("step") == _TOKEN_STEP:
            return _token_page(body, request, query)
        return _results_page(body, request, query)


def find_vqd(body: str) -> str | None:
    """The ``vqd`` token in a DuckDuckGo search page, in any of its known spellings."""
    for pattern in _VQD_PATTERNS:
        match = pattern.search(body)
        if match:
            return match.group(1)
    for tag in _INPUT.findall(body):  # attributes in any order, quoted or not
        value = _INPUT_VALUE.search(tag)
        if _INPUT_NAME.search(tag) and value:
            return value.group(1)
    return None


def _token_page(body: Any, request: PageRequest, query: SearchQuery) -> Page:
    vqd = find_vqd(body) if isinstance(body, str) else None
    if vqd is None:
        return Page((), None, note="vqd token not found")
    params: dict[str, str | int] = {
        "l": "us-en",
        "o": "json",
        "q": query.text,
        "vqd": vqd,
        "f": ",,,,,",
        "p": 1 if query.safe_search else -1,
    }
    if query.licenses:
        pd_only = only_public_domain(query.licenses)
        params["f"] = PUBLIC_DOMAIN_FILTER if pd_only else CREATIVE_COMMONS_FILTER
    return Page((), _json_request(urljoin(request.url, "i.js"), params, request.url))


def _results_page(body: Any, request: PageRequest, query: SearchQuery) -> Page:
    data = as_dict(body)
    if data is None or not isinstance(data.get("results"), list):
        return Page((), None, note="malformed response: no 'results' list")
    candidates = tuple(
        c for c in (_candidate(row, query) for row in as_list(data["results"])) if c is not None
    )
    link = text(data, "next")
    if not data["results"] or link is None:
        return Page(candidates, None)
    return Page(candidates, _next_request(request, link))


def _next_request(request: PageRequest, link: str) -> PageRequest:
    """``next`` is relative (``i.js?q=…&s=100``) and may omit ``vqd``: keep the current params."""
    parts = urlsplit(urljoin(request.url, link))
    params = {**request.params, **dict(parse_qsl(parts.query))}
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return _json_request(url, params, str(request.headers.get("Referer", url)))


def _json_request(url: str, params: Mapping[str, str | int], referer: str) -> PageRequest:
    headers = {"Accept": "application/json", "Referer": referer}
    return PageRequest(
        url, params=params, headers=headers, expect="json", state={"step": _RESULTS_STEP}
    )


def _candidate(row: object, query: SearchQuery) -> Candidate | None:
    fields = as_dict(row)
    url = http_url(fields.get("image")) if fields else None
    if fields is None or url is None:
        return None
    return Candidate(
        url=url,
        label=query.label,
        query=query.text,
        source=DuckDuckGoEngine.name,
        page_url=http_url(fields.get("url")),
        title=text(fields, "title"),
        width=number(fields.get("width")),
        height=number(fields.get("height")),
    )
