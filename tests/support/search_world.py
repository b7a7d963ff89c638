"""A search world: all six engines' real response formats, answered live by one local server.

``SearchWorld(server).install()`` registers a handler at every path an engine asks for
(``/v1/images/``, ``/w/api.php``, ``/images/async``, ``/`` and ``/i.js``, ``/search``,
``/search/acjson``). Any query text gets results, each pointing at its own JPEG on the same
server (``/img/<engine>/<query slug>/<page>/<index>.jpg``), whose picture is seeded by
(engine, query, index): different queries never share pictures, and about ``shared_fraction`` of
results carry the same picture on every engine, as mirrors of one photo do on the real web.
Openverse and Wikimedia results carry licences (Openverse filters by ``license`` server side);
the others carry none.

``fail(engine, mode)`` makes an engine misbehave (``FAILURE_MODES``); ``requests(engine)``,
``searches(engine)`` and ``image_requests(engine)`` say what the crawler asked for.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .images import make_jpeg
from .query_routes import Query, QueryFixtureServer
from .server import Response

#: The paths each engine requests, its search pages first.
ENGINE_PATHS: dict[str, tuple[str, ...]] = {
    "openverse": ("/v1/images/",),
    "wikimedia": ("/w/api.php",),
    "bing": ("/images/async",),
    "duckduckgo": ("/", "/i.js"),
    "google": ("/search",),
    "baidu": ("/search/acjson",),
}
ALL_ENGINES = tuple(ENGINE_PATHS)
#: down: 503 always; timeout: answers after ``timeout_delay``; malformed: bodies cut inside the
#: first result; empty: no results; broken_images: results whose image URLs answer 404.
FAILURE_MODES = ("down", "timeout", "malformed", "empty", "broken_images")

#: Openverse ``license`` codes with their version and deed, chosen per result by its seed.
OPENVERSE_LICENSES = (
    ("by", "4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("cc0", "1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("by-sa", "2.0", "https://creativecommons.org/licenses/by-sa/2.0/"),
    ("by-nc", "3.0", "https://creativecommons.org/licenses/by-nc/3.0/"),
    ("pdm", "1.0", "https://creativecommons.org/publicdomain/mark/1.0/"),
)
#: Commons ``LicenseShortName`` values and ``LicenseUrl`` (None: Commons sends no URL).
WIKIMEDIA_LICENSES = (
    ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0"),
    ("CC0", "http://creativecommons.org/publicdomain/zero/1.0/deed.en"),
    ("CC BY 2.0", "https://creativecommons.org/licenses/by/2.0"),
    ("Public domain", None),
    ("GFDL", "http://www.gnu.org/copyleft/fdl.html"),
)
# Page steps the engines use in their paging parameters.
_BING_STEP, _BAIDU_STEP, _DDG_STEP = 35, 30, 100
# Baidu's objURL obfuscation (the inverse of pixcrawler's decode_obj_url).
_BAIDU_CHARS = str.maketrans(
    "abcdefghijklmnopqrstuvw1234567890", "wkv1ju2it3hs4g5rq6fp7eo8dn9cm0bla"
)
_BAIDU_TOKENS = ((":", "_z2C$q"), (".", "_z&e3B"), ("/", "AzdH3F"))


@dataclass(frozen=True)
class Result:
    """One search result of the world: where its picture is served, and from which seed."""

    engine: str
    query: str
    page: int
    index: int  # position in the query's results, over all pages
    url: str
    seed: int
    shared: bool  # the same picture is a result of every engine for this query and index

    @property
    def title(self) -> str:
        return f"{self.query} #{self.index + 1}"

    @property
    def page_url(self) -> str:
        return f"https://www.example.org/{self.engine}/{self.seed:x}"


#: Where a request's query text and page (from 0; -1 for a page without results) are.
Locate = Callable[[Query], tuple[str, int]]
#: A page body and its content type, or a whole response (a refusal).
Answer = Response | tuple[str, str]
Render = Callable[[Query, str, int, list[Result]], Answer]


class SearchWorld:
    """Every engine's endpoints on ``server``, answering any query with fresh, valid JPEGs."""

    def __init__(
        self,
        server: QueryFixtureServer,
        *,
        image_size: tuple[int, int] = (128, 128),
        shared_fraction: float = 0.1,
        timeout_delay: float = 2.0,
    ) -> None:
        self.server = server
        self.image_size = image_size
        self.shared_fraction = shared_fraction
        self.timeout_delay = timeout_delay
        self.images_per_query = 0
        self.pages = 1
        self._lock = threading.Lock()
        self._modes: dict[str, str] = {}
        self._searches: dict[str, list[tuple[str, int]]] = {name: [] for name in ENGINE_PATHS}
        self._image_paths: dict[str, set[str]] = {name: set() for name in ENGINE_PATHS}
        self._jpegs: dict[int, bytes] = {}

    # -- set-up and knobs --------------------------------------------------------------------

    def install(
        self, engines: Iterable[str] = ALL_ENGINES, images_per_query: int = 4, pages: int = 2
    ) -> SearchWorld:
        """Answer for ``engines``: each query has ``images_per_query`` results over ``pages``."""
        if images_per_query < 0 or pages < 1:
            raise ValueError("images_per_query must be >= 0 and pages >= 1")
        self.images_per_query, self.pages = images_per_query, pages
        handlers = {
            "/v1/images/": self._route("openverse", _openverse_where, self._openverse),
            "/w/api.php": self._route("wikimedia", self._wikimedia_where, self._wikimedia),
            "/images/async": self._route("bing", self._bing_where, self._bing),
            "/": self._route("duckduckgo", _token_where, self._duckduckgo_token),
            "/i.js": self._route("duckduckgo", _duckduckgo_where, self._duckduckgo_results),
            "/search": self._route("google", self._google_where, self._google),
            "/search/acjson": self._route("baidu", _baidu_where, self._baidu),
        }
        for engine in engines:
            for path in ENGINE_PATHS[engine]:
                self.server.add_handler(path, handlers[path])
        return self

    def fail(self, engine: str, mode: str) -> None:
        """Make ``engine`` misbehave from now on; ``mode`` is one of :data:`FAILURE_MODES`."""
        if engine not in ENGINE_PATHS or mode not in FAILURE_MODES:
            raise ValueError(f"unknown engine {engine!r} or mode {mode!r}")
        with self._lock:
            self._modes[engine] = mode

    def heal(self, engine: str) -> None:
        """Let ``engine`` answer normally again."""
        with self._lock:
            self._modes.pop(engine, None)

    def base_urls(self) -> dict[str, str]:
        """``PIXCRAWLER_<ENGINE>_BASE_URL`` for every engine, all pointing at this server."""
        return {
            f"PIXCRAWLER_{name.upper()}_BASE_URL": self.server.base_url for name in ENGINE_PATHS
        }

    def settings_overrides(self) -> dict[str, Any]:
        """``<engine>_base_url`` keyword arguments for ``Settings``, all pointing at this server."""
        return {f"{name}_base_url": self.server.base_url for name in ENGINE_PATHS}

    # -- what the crawler asked ---------------------------------------------------------------

    def requests(self, engine: str) -> int:
        """Requests received on ``engine``'s search paths, retries included."""
        return sum(self.server.count(path) for path in ENGINE_PATHS[engine])

    def searches(self, engine: str) -> list[tuple[str, int]]:
        """``(query text, page from 0)`` of every search request ``engine`` answered, in order."""
        with self._lock:
            return list(self._searches[engine])

    def queries(self, engine: str) -> list[str]:
        """The query text of every search request of ``engine`` (a retry repeats its text)."""
        return [text for text, _ in self.searches(engine)]

    def image_paths(self, engine: str | None = None) -> set[str]:
        """Paths of every image the world handed out (of one engine, or of all)."""
        names = ENGINE_PATHS if engine is None else (engine,)
        with self._lock:
            return set().union(*(self._image_paths[name] for name in names))

    def image_requests(self, engine: str | None = None) -> int:
        """Requests received for the images the world handed out (of one engine, or of all)."""
        return sum(self.server.count(path) for path in self.image_paths(engine))

    def results(self, engine: str, query: str, page: int) -> list[Result]:
        """The results ``engine`` gives for ``query`` on ``page`` (from 0), licence filter aside."""
        per_page = self.per_page
        start = page * per_page
        stop = min(start + per_page, self.images_per_query)
        return [self._result(engine, query, page, index) for index in range(start, stop)]

    @property
    def per_page(self) -> int:
        return max(1, math.ceil(self.images_per_query / self.pages))

    def jpeg(self, seed: int) -> bytes:
        """The picture of ``seed`` (encoded once, then cached)."""
        body = self._jpegs.get(seed)
        if body is None:
            body = self._jpegs[seed] = make_jpeg(seed, self.image_size)
        return body

    # -- shared machinery --------------------------------------------------------------------

    def shared(self, query: str, index: int) -> bool:
        """Whether result ``index`` of ``query`` is the same picture on every engine."""
        return _fraction("shared", query, str(index)) < self.shared_fraction

    def _result(self, engine: str, query: str, page: int, index: int) -> Result:
        shared = self.shared(query, index)
        seed = _seed("shared" if shared else engine, query, str(index))
        path = f"/img/{engine}/{query_slug(query)}/{page}/{index}.jpg"
        return Result(engine, query, page, index, self.server.url(path), seed, shared)

    def _search(self, engine: str, text: str, page: int) -> tuple[str | None, list[Result]]:
        """Record the request; return the engine's mode and the page's results (served).

        ``page`` -1 is DuckDuckGo's token page, which has no results of its own.
        """
        with self._lock:
            self._searches[engine].append((text, page))
            mode = self._modes.get(engine)
        if mode in {"down", "timeout", "empty"} or not 0 <= page < self.pages:
            return mode, []
        found = self.results(engine, text, page)
        for result in found:
            self._publish(result, broken=mode == "broken_images")
        return mode, found

    def _publish(self, result: Result, *, broken: bool) -> None:
        path = "/" + result.url.split("/", 3)[3]
        with self._lock:
            self._image_paths[result.engine].add(path)
        if not broken:  # an unregistered path answers 404
            self.server.add_handler(path, lambda _query: Response(body=self.jpeg(result.seed)))

    def _route(self, engine: str, locate: Locate, render: Render) -> Callable[[Query], Response]:
        """A handler: find the query text and page, record them, then answer as ``engine``."""

        def handle(query: Query) -> Response:
            text, page = locate(query)
            mode, found = self._search(engine, text, page)
            if mode == "down":
                return Response(503, b"<h1>503 Service Unavailable</h1>", "text/html")
            if mode == "timeout":
                return Response(200, b"{}", "application/json", delay=self.timeout_delay)
            answer = render(query, text, page, found)
            if isinstance(answer, Response):
                return answer
            body, content_type = answer
            if mode == "malformed" and page >= 0:
                body = _cut(body)
            return Response(body=body.encode(), content_type=content_type)

        return handle

    def _wikimedia_where(self, query: Query) -> tuple[str, int]:
        text = _arg(query, "gsrsearch").removesuffix(" filetype:bitmap")
        return text, _number(_arg(query, "gsroffset"), 0) // self.per_page

    def _bing_where(self, query: Query) -> tuple[str, int]:
        # Past its last page Bing repeats the last one, which is how a crawler sees the end.
        return _arg(query, "q"), min(_number(_arg(query, "first"), 0) // _BING_STEP, self.pages - 1)

    def _google_where(self, query: Query) -> tuple[str, int]:
        # Past the last page Google serves it again: nothing new, which ends the crawl.
        return _arg(query, "q"), min(_number(_arg(query, "ijn"), 0), self.pages - 1)

    # -- the engines: where the query and page are, and the page each returns ----------------

    def _openverse(self, query: Query, text: str, page: int, found: list[Result]) -> Answer:
        wanted = [code for code in _arg(query, "license").split(",") if code]
        rows = [_openverse_row(r) for r in found]
        rows = [row for row in rows if not wanted or row["license"] in wanted]
        data = {
            "result_count": self.images_per_query if found else 0,
            "page_count": self.pages if found else 0,
            "page_size": 20,
            "page": page + 1,
            "results": rows,
        }
        return json.dumps(data, indent=1), "application/json"

    def _wikimedia(self, query: Query, text: str, page: int, found: list[Result]) -> Answer:
        if not found:
            return json.dumps({"batchcomplete": ""}), "application/json"
        pages = {str(r.seed % 10**8): _wikimedia_page(r) for r in reversed(found)}
        data: dict[str, object] = {"batchcomplete": "", "query": {"pages": pages}}
        if page + 1 < self.pages:
            following = found[-1].index + 1
            data["continue"] = {"gsroffset": following, "continue": "gsroffset||"}
        return json.dumps(data, indent=1), "application/json"

    def _bing(self, query: Query, text: str, page: int, found: list[Result]) -> Answer:
        if not found:
            return (
                '<div id="mmComponent_images_1" class="irp"><div class="dg_u"><div class="nrd">'
                f"There are no results for <strong>{html.escape(text)}</strong></div>"
                '<ul class="dgControl_list "></ul></div></div>'
            ), "text/html; charset=utf-8"
        items = "\n".join(_bing_item(r) for r in found)
        return (
            '<div id="mmComponent_images_2" class="irp" data-nexturl="" data-ajaxiid="4">'
            f'<ul class="dgControl_list " data-row="0" data-col="0">\n{items}\n</ul></div>'
        ), "text/html; charset=utf-8"

    def _duckduckgo_token(self, query: Query, text: str, page: int, found: list[Result]) -> Answer:
        return (
            '<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">'
            f"<title>{html.escape(text)} at DuckDuckGo</title></head><body>"
            '<script type="text/javascript">;DDG.page = new DDG.Pages.SERP({ showSafeSearch: 0,'
            f' rq:"{quote(text)}",vqd="{duckduckgo_vqd(text)}"}});</script></body></html>'
        ), "text/html; charset=utf-8"

    def _duckduckgo_results(
        self, query: Query, text: str, page: int, found: list[Result]
    ) -> Answer:
        if _arg(query, "vqd") != duckduckgo_vqd(text):
            return Response(403, b"<h1>403 Forbidden</h1>", "text/html")  # as DDG does
        data: dict[str, object] = {
            "ads": None,
            "query": text,
            "queryEncoded": quote(text),
            "response_type": "places",
            "results": [_duckduckgo_row(r) for r in found],
            "vqd": {quote(text): duckduckgo_vqd(text)},
        }
        if found and page + 1 < self.pages:
            following = (page + 1) * _DDG_STEP
            data["next"] = f"i.js?q={quote(text)}&o=json&p=1&s={following}&u=bing&f=,,,,,&l=us-en"
        return json.dumps(data, indent=1), "application/json"

    def _google(self, query: Query, text: str, page: int, found: list[Result]) -> Answer:
        head = (
            '<!doctype html><html itemscope="" itemtype="http://schema.org/SearchResultsPage">'
            f'<head><meta charset="UTF-8"><title>{html.escape(text)} - Google Search</title>'
            '</head><body jsmodel="hspDDf"><div id="islrg"></div>\n'
        )
        if not found:
            body = f"{head}<p>Your search did not match any image results.</p></body></html>"
            return body, "text/html; charset=UTF-8"
        entries = ",".join(_google_entry(r) for r in found)
        script = (
            "<script nonce=\"k3Wn\">AF_initDataCallback({key: 'ds:1', hash: '2', data:"
            f"[null,[[{entries}]],null,null,[{json.dumps(text)}]], sideChannel: {{}}}});</script>"
        )
        return f"{head}{script}\n</body></html>", "text/html; charset=UTF-8"

    def _baidu(self, query: Query, text: str, page: int, found: list[Result]) -> Answer:
        total = 1520 if found or page > 0 else 0
        data = {
            "queryEnc": quote(text),
            "queryExt": text,
            "listNum": total,
            "displayNum": total,
            "bdFmtDispNum": f"约{total:,}",
            "data": [*(_baidu_row(r) for r in found), {}],  # Baidu ends the list with {}
        }
        # Baidu escapes single quotes, which makes its "JSON" invalid JSON.
        body = json.dumps(data, ensure_ascii=False, indent=1).replace("'", "\\'")
        return body, "text/html; charset=utf-8"


# -- each engine's result format -------------------------------------------------------------


def _openverse_where(query: Query) -> tuple[str, int]:
    return _arg(query, "q"), _number(_arg(query, "page"), 1) - 1


def _token_where(query: Query) -> tuple[str, int]:
    return _arg(query, "q"), -1  # DuckDuckGo's token page


def _duckduckgo_where(query: Query) -> tuple[str, int]:
    return _arg(query, "q"), _number(_arg(query, "s"), 0) // _DDG_STEP


def _baidu_where(query: Query) -> tuple[str, int]:
    return _arg(query, "word"), _number(_arg(query, "pn"), 0) // _BAIDU_STEP


def _openverse_row(r: Result) -> dict[str, object]:
    code, version, deed = OPENVERSE_LICENSES[r.seed % len(OPENVERSE_LICENSES)]
    creator = f"photographer{r.seed % 97}"
    identifier = hashlib.md5(r.url.encode(), usedforsecurity=False).hexdigest()
    names = {"cc0": "CC0 1.0", "pdm": "Public Domain Mark 1.0"}
    name = names.get(code, f"CC {code.upper()} {version}")
    return {
        "id": identifier,
        "title": r.title,
        "foreign_landing_url": r.page_url,
        "url": r.url,
        "creator": creator,
        "creator_url": f"https://www.flickr.com/photos/{creator}",
        "license": code,
        "license_version": version,
        "license_url": deed,
        "provider": "flickr",
        "source": "flickr",
        "category": "photograph",
        "filetype": "jpg",
        "tags": [{"accuracy": None, "name": r.query.split()[0], "unstable__provider": "flickr"}],
        "attribution": f'"{r.title}" by {creator} is licensed under {name}. To view a copy of '
        f"this license, visit {deed}.",
        "mature": False,
        "height": 128,
        "width": 128,
        "thumbnail": f"https://api.openverse.org/v1/images/{identifier}/thumb/",
        "detail_url": f"https://api.openverse.org/v1/images/{identifier}/",
    }


def _wikimedia_page(r: Result) -> dict[str, object]:
    name, deed = WIKIMEDIA_LICENSES[r.seed % len(WIKIMEDIA_LICENSES)]
    file_name = f"{r.title.replace('#', 'no. ')}.jpg"
    metadata: dict[str, dict[str, str]] = {
        "ImageDescription": {"value": f"<p>{html.escape(r.title)}</p>", "source": "commons"},
        "Artist": {
            "value": f'<a href="//commons.wikimedia.org/wiki/User:Example{r.seed % 89}" '
            f'title="User:Example{r.seed % 89}">Example {r.seed % 89}</a>',
            "source": "commons-desc-page",
        },
        "LicenseShortName": {"value": name, "source": "commons-desc-page", "hidden": ""},
        "AttributionRequired": {"value": "true", "source": "commons-desc-page", "hidden": ""},
    }
    if deed is not None:
        metadata["LicenseUrl"] = {"value": deed, "source": "commons-desc-page", "hidden": ""}
    description = f"https://commons.wikimedia.org/wiki/File:{quote(file_name.replace(' ', '_'))}"
    return {
        "pageid": r.seed % 10**8,
        "ns": 6,
        "title": f"File:{file_name}",
        "index": r.index + 1,
        "imagerepository": "local",
        "imageinfo": [
            {
                "size": 4096,
                "width": 128,
                "height": 128,
                # The original is narrower than iiurlwidth, so the "thumbnail" is the original.
                "thumburl": r.url,
                "thumbwidth": 128,
                "thumbheight": 128,
                "url": r.url,
                "descriptionurl": description,
                "mime": "image/jpeg",
                "extmetadata": metadata,
            }
        ],
    }


def _bing_item(r: Result) -> str:
    thumb = f"https://tse1.mm.bing.net/th?id=OIP.{r.seed:x}&pid=15.1"
    metadata = {
        "sid": "",
        "cturl": "",
        "cid": f"{r.seed:x}",
        "purl": r.page_url,
        "murl": r.url,
        "turl": thumb,
        "md5": hashlib.md5(r.url.encode(), usedforsecurity=False).hexdigest(),
        "shkey": "",
        "t": f"\ue000{r.query}\ue001 #{r.index + 1}",  # Bing highlights the query terms
        "mid": f"MID{r.seed:x}",
        "desc": "",
    }
    m = html.escape(json.dumps(metadata, ensure_ascii=False))
    return (
        f'<li data-idx="{r.index + 1}"><div class="iuscp isv"><div class="imgpt">'
        f'<a class="iusc" style="height:180px;width:240px" m="{m}" '
        f'href="/images/search?view=detailV2&amp;q={quote(r.query)}&amp;FORM=IRPRST">'
        f'<div class="img_cont hoff"><img class="mimg" height="180" width="240" '
        f'src="{html.escape(thumb)}" alt="{html.escape(r.query)}" /></div></a>'
        '<div class="img_info hon"><span class="nowrap">128 x 128 · jpeg</span></div>'
        "</div></div></li>"
    )


def duckduckgo_vqd(text: str) -> str:
    """The ``vqd`` token the world's DuckDuckGo issues for ``text`` (and then insists on)."""
    return f"4-{_seed('vqd', text)}"


def _duckduckgo_row(r: Result) -> dict[str, object]:
    token = hashlib.sha256(r.url.encode()).hexdigest()
    return {
        "height": 128,
        "image": r.url,
        "image_token": token,
        "source": "Bing",
        "thumbnail": f"https://tse2.mm.bing.net/th?id=OIP.{r.seed:x}&pid=Api",
        "thumbnail_token": token[::-1],
        "title": r.title,
        "url": r.page_url,
        "width": 128,
    }


def _google_entry(r: Result) -> str:
    thumb = f"https://encrypted-tbn0.gstatic.com/images?q\\u003dtbn:ANd9GcR{r.seed:x}\\u0026s"
    block = (
        f'{{"2000":[null,"example.org","4KB"],"2003":[null,"Id{r.seed:x}",'
        f'{json.dumps(r.page_url)},{json.dumps(r.title)},null,null,"{r.index + 1}",null,null,'
        f'null,false],"2008":[null,{json.dumps(r.query)}]}}'
    )
    return (
        f'[1,[0,"rid{r.seed:x}",["{thumb}",194,259],[{json.dumps(r.url)},128,128],null,0,'
        f'"rgb(112,88,64)",null,0,{block},null,null,null,null],{json.dumps(r.query)}]'
    )


def _baidu_row(r: Result) -> dict[str, object]:
    thumb = f"https://img1.baidu.com/it/u={r.seed % 10**10},{r.index}&fm=253&f=JPEG?w=128&h=128"
    # Baidu obfuscates most objURLs; some come plain, and the parser must take both.
    obj_url = baidu_obfuscate(r.url) if r.index % 2 == 0 else r.url
    return {
        "adType": "0",
        "thumbURL": thumb,
        "middleURL": thumb,
        "hoverURL": thumb,
        "pageNum": r.index + 1,
        "objURL": obj_url,
        "fromURL": baidu_obfuscate(r.page_url),
        "fromURLHost": "www.example.org",
        "width": 128,
        "height": 128,
        "type": "jpg",
        "replaceUrl": [],
        "fromPageTitle": f"<strong>{html.escape(r.query)}</strong>'s photo {r.index + 1}",
        "fromPageTitleEnc": f"{r.query}'s photo {r.index + 1}",
        "di": str(r.seed % 10**10),
    }


def baidu_obfuscate(url: str) -> str:
    """Baidu's ``objURL`` spelling of ``url`` (``http://`` becomes ``ippr_z2C$qAzdH3FAzdH3F``)."""
    value = url.translate(_BAIDU_CHARS)
    for plain, token in _BAIDU_TOKENS:
        value = value.replace(plain, token)
    return value


# -- small helpers -----------------------------------------------------------------------------


def query_slug(text: str) -> str:
    """An ASCII path segment for a query: readable words plus a hash, so every query differs."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30].strip("-")
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{words}-{digest}" if words else digest


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:6], "big")


def _fraction(*parts: str) -> float:
    return _seed(*parts) / float(1 << 48)


def _arg(query: Query, name: str) -> str:
    return query.get(name, [""])[0]


def _number(value: str, default: int) -> int:
    return int(value) if value.isdigit() else default


def _cut(body: str) -> str:
    """The body cut inside its first image URL (or halfway): truncated JSON, a result-less HTML."""
    first = body.find("/img/")
    return body[: first + 5] if first >= 0 else body[: len(body) // 2]
