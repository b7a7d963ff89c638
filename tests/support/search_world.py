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

Each engine's page formats live in :mod:`engine_pages` (pages) and :mod:`engine_rows` (one
result's row); what a result is, and the seeds of its picture, in :mod:`world_results`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .engine_pages import ROUTES, Answer, Locate, Render
from .engine_rows import (
    OPENVERSE_LICENSES,
    WIKIMEDIA_LICENSES,
    baidu_obfuscate,
    duckduckgo_vqd,
)
from .images import make_jpeg
from .query_routes import Query, QueryFixtureServer
from .server import Response
from .world_results import Result, fraction, query_slug, seed

__all__ = [
    "ALL_ENGINES",
    "ENGINE_PATHS",
    "FAILURE_MODES",
    "OPENVERSE_LICENSES",
    "WIKIMEDIA_LICENSES",
    "Answer",
    "Locate",
    "Render",
    "Result",
    "SearchWorld",
    "baidu_obfuscate",
    "duckduckgo_vqd",
    "query_slug",
]

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


class SearchWorld:
    """Every engine's endpoints on ``server``, answering any query with fresh, valid JPEGs."""

    def __init__(
        self,
        server: QueryFixtureServer,
        *,
        image_size: tuple[int, int] = (128, 128),
        shared_fraction: float = 0.1,
        timeout_delay: float = 6.0,
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
        for engine in engines:
            for path in ENGINE_PATHS[engine]:
                locate, render = ROUTES[path]
                self.server.add_handler(path, self._route(engine, locate, render))
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
        return fraction("shared", query, str(index)) < self.shared_fraction

    def _result(self, engine: str, query: str, page: int, index: int) -> Result:
        shared = self.shared(query, index)
        picture = seed("shared" if shared else engine, query, str(index))
        path = f"/img/{engine}/{query_slug(query)}/{page}/{index}.jpg"
        return Result(engine, query, page, index, self.server.url(path), picture, shared)

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
            text, page = locate(self, query)
            mode, found = self._search(engine, text, page)
            if mode == "down":
                return Response(503, b"<h1>503 Service Unavailable</h1>", "text/html")
            if mode == "timeout":
                return Response(200, b"{}", "application/json", delay=self.timeout_delay)
            answer = render(self, query, text, page, found)
            if isinstance(answer, Response):
                return answer
            body, content_type = answer
            if mode == "malformed" and page >= 0:
                body = _cut(body)
            return Response(body=body.encode(), content_type=content_type)

        return handle


# -- small helpers -----------------------------------------------------------------------------


def _cut(body: str) -> str:
    """The body cut inside its first image URL (or halfway): truncated JSON, a result-less HTML."""
    first = body.find("/img/")
    return body[: first + 5] if first >= 0 else body[: len(body) // 2]
