"""Each engine's search page: where a request carries its query text and page, and the body sent.

A *locator* reads ``(query text, page from 0)`` off a request (-1: a page without results); a
*page* renders the found results in the engine's own format, as ``(body, content type)`` or as
a whole :class:`Response` (a refusal). Both take the world's paging (:class:`Paging`) first;
:data:`ROUTES` names the pair answering each path.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

from .engine_rows import (
    baidu_row,
    bing_item,
    duckduckgo_row,
    duckduckgo_vqd,
    google_entry,
    openverse_row,
    wikimedia_page,
)
from .query_routes import Query
from .server import Response
from .world_results import Result

#: A page body and its content type, or a whole response (a refusal).
Answer = Response | tuple[str, str]
# Page steps the engines use in their paging parameters.
_BING_STEP, _BAIDU_STEP, _DDG_STEP = 35, 30, 100


class Paging(Protocol):
    """How many results a query has, over how many pages."""

    images_per_query: int
    pages: int

    @property
    def per_page(self) -> int: ...


#: Where a request's query text and page (from 0; -1 for a page without results) are.
Locate = Callable[[Paging, Query], tuple[str, int]]
Render = Callable[[Paging, Query, str, int, list[Result]], Answer]


# -- where the query and page are ----------------------------------------------------------------


def openverse_where(world: Paging, query: Query) -> tuple[str, int]:
    return _arg(query, "q"), _number(_arg(query, "page"), 1) - 1


def wikimedia_where(world: Paging, query: Query) -> tuple[str, int]:
    text = _arg(query, "gsrsearch").removesuffix(" filetype:bitmap")
    return text, _number(_arg(query, "gsroffset"), 0) // world.per_page


def bing_where(world: Paging, query: Query) -> tuple[str, int]:
    # Past its last page Bing repeats the last one, which is how a crawler sees the end.
    return _arg(query, "q"), min(_number(_arg(query, "first"), 0) // _BING_STEP, world.pages - 1)


def token_where(world: Paging, query: Query) -> tuple[str, int]:
    return _arg(query, "q"), -1  # DuckDuckGo's token page


def duckduckgo_where(world: Paging, query: Query) -> tuple[str, int]:
    return _arg(query, "q"), _number(_arg(query, "s"), 0) // _DDG_STEP


def google_where(world: Paging, query: Query) -> tuple[str, int]:
    # Past the last page Google serves it again: nothing new, which ends the crawl.
    return _arg(query, "q"), min(_number(_arg(query, "ijn"), 0), world.pages - 1)


def baidu_where(world: Paging, query: Query) -> tuple[str, int]:
    return _arg(query, "word"), _number(_arg(query, "pn"), 0) // _BAIDU_STEP


# -- the page each returns -----------------------------------------------------------------------


def openverse(world: Paging, query: Query, text: str, page: int, found: list[Result]) -> Answer:
    wanted = [code for code in _arg(query, "license").split(",") if code]
    rows = [openverse_row(r) for r in found]
    rows = [row for row in rows if not wanted or row["license"] in wanted]
    data = {
        "result_count": world.images_per_query if found else 0,
        "page_count": world.pages if found else 0,
        "page_size": 20,
        "page": page + 1,
        "results": rows,
    }
    return json.dumps(data, indent=1), "application/json"


def wikimedia(world: Paging, query: Query, text: str, page: int, found: list[Result]) -> Answer:
    if not found:
        return json.dumps({"batchcomplete": ""}), "application/json"
    pages = {str(r.seed % 10**8): wikimedia_page(r) for r in reversed(found)}
    data: dict[str, object] = {"batchcomplete": "", "query": {"pages": pages}}
    if page + 1 < world.pages:
        following = found[-1].index + 1
        data["continue"] = {"gsroffset": following, "continue": "gsroffset||"}
    return json.dumps(data, indent=1), "application/json"


def bing(world: Paging, query: Query, text: str, page: int, found: list[Result]) -> Answer:
    if not found:
        return (
            '<div id="mmComponent_images_1" class="irp"><div class="dg_u"><div class="nrd">'
            f"There are no results for <strong>{html.escape(text)}</strong></div>"
            '<ul class="dgControl_list "></ul></div></div>'
        ), "text/html; charset=utf-8"
    items = "\n".join(bing_item(r) for r in found)
    return (
        '<div id="mmComponent_images_2" class="irp" data-nexturl="" data-ajaxiid="4">'
        f'<ul class="dgControl_list " data-row="0" data-col="0">\n{items}\n</ul></div>'
    ), "text/html; charset=utf-8"


def duckduckgo_token(
    world: Paging, query: Query, text: str, page: int, found: list[Result]
) -> Answer:
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">'
        f"<title>{html.escape(text)} at DuckDuckGo</title></head><body>"
        '<script type="text/javascript">;DDG.page = new DDG.Pages.SERP({ showSafeSearch: 0,'
        f' rq:"{quote(text)}",vqd="{duckduckgo_vqd(text)}"}});</script></body></html>'
    ), "text/html; charset=utf-8"


def duckduckgo_results(
    world: Paging, query: Query, text: str, page: int, found: list[Result]
) -> Answer:
    if _arg(query, "vqd") != duckduckgo_vqd(text):
        return Response(403, b"<h1>403 Forbidden</h1>", "text/html")  # as DDG does
    data: dict[str, object] = {
        "ads": None,
        "query": text,
        "queryEncoded": quote(text),
        "response_type": "places",
        "results": [duckduckgo_row(r) for r in found],
        "vqd": {quote(text): duckduckgo_vqd(text)},
    }
    if found and page + 1 < world.pages:
        following = (page + 1) * _DDG_STEP
        data["next"] = f"i.js?q={quote(text)}&o=json&p=1&s={following}&u=bing&f=,,,,,&l=us-en"
    return json.dumps(data, indent=1), "application/json"


def google(world: Paging, query: Query, text: str, page: int, found: list[Result]) -> Answer:
    head = (
        '<!doctype html><html itemscope="" itemtype="http://schema.org/SearchResultsPage">'
        f'<head><meta charset="UTF-8"><title>{html.escape(text)} - Google Search</title>'
        '</head><body jsmodel="hspDDf"><div id="islrg"></div>\n'
    )
    if not found:
        body = f"{head}<p>Your search did not match any image results.</p></body></html>"
        return body, "text/html; charset=UTF-8"
    entries = ",".join(google_entry(r) for r in found)
    script = (
        "<script nonce=\"k3Wn\">AF_initDataCallback({key: 'ds:1', hash: '2', data:"
        f"[null,[[{entries}]],null,null,[{json.dumps(text)}]], sideChannel: {{}}}});</script>"
    )
    return f"{head}{script}\n</body></html>", "text/html; charset=UTF-8"


def baidu(world: Paging, query: Query, text: str, page: int, found: list[Result]) -> Answer:
    total = 1520 if found or page > 0 else 0
    data = {
        "queryEnc": quote(text),
        "queryExt": text,
        "listNum": total,
        "displayNum": total,
        "bdFmtDispNum": f"约{total:,}",
        "data": [*(baidu_row(r) for r in found), {}],  # Baidu ends the list with {}
    }
    # Baidu escapes single quotes, which makes its "JSON" invalid JSON.
    body = json.dumps(data, ensure_ascii=False, indent=1).replace("'", "\\'")
    return body, "text/html; charset=utf-8"


#: The locator and page answering each engine path.
ROUTES: dict[str, tuple[Locate, Render]] = {
    "/v1/images/": (openverse_where, openverse),
    "/w/api.php": (wikimedia_where, wikimedia),
    "/images/async": (bing_where, bing),
    "/": (token_where, duckduckgo_token),
    "/i.js": (duckduckgo_where, duckduckgo_results),
    "/search": (google_where, google),
    "/search/acjson": (baidu_where, baidu),
}


# -- small helpers -------------------------------------------------------------------------------


def _arg(query: Query, name: str) -> str:
    return query.get(name, [""])[0]


def _number(value: str, default: int) -> int:
    return int(value) if value.isdigit() else default
