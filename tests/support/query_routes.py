"""A fixture server whose routes may answer by query string, for engines that page one path.

``FixtureServer`` matches the path alone; search engines ask the same path for every page and
change only a parameter (``first=35``, ``page=2``). ``QueryFixtureServer.add_handler`` registers
a function of the parsed query instead, and ``queries`` records what each request asked for.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from .server import FixtureServer, Response, _Handler

Query = dict[str, list[str]]
QueryHandler = Callable[[Query], Response]

_current = threading.local()  # the request target being answered, per handler thread


class QueryFixtureServer(FixtureServer):
    """``FixtureServer`` plus routes answered by a function of the query string.

    Attributes:
        queries: The parsed query of every request, per path, in arrival order.
        targets: The raw request target (path and query, as sent) of each, likewise.
    """

    def __init__(self) -> None:
        super().__init__()
        self.queries: collections.defaultdict[str, list[Query]] = collections.defaultdict(list)
        self.targets: collections.defaultdict[str, list[str]] = collections.defaultdict(list)
        self._handlers: dict[str, QueryHandler] = {}

    def start(self) -> QueryFixtureServer:
        """Listen and serve like ``FixtureServer``, with a handler that keeps the query."""
        super().start()
        assert self._httpd is not None
        self._httpd.RequestHandlerClass = _QueryHandler  # nobody knows the port yet
        return self

    def add_handler(self, path: str, handler: QueryHandler) -> str:
        """Answer requests for ``path`` with ``handler(parsed query)``; returns the URL.

        The handler runs on a server thread; an exception there lands in ``errors``.
        """
        path = "/" + path.lstrip("/")
        with self._lock:
            self._handlers[path] = handler
        return self.url(path)

    def reset(self) -> None:
        """Zero counts, rewind sequences and forget the recorded queries."""
        super().reset()
        with self._lock:
            self.queries.clear()
            self.targets.clear()

    def clear(self) -> None:
        """Forget every route and handler, then ``reset``."""
        with self._lock:
            self._handlers.clear()
        super().clear()

    def _next_response(self, path: str) -> Response:
        target = getattr(_current, "target", path)
        query = parse_qs(urlsplit(target).query, keep_blank_values=True)
        with self._lock:
            self.queries[path].append(query)
            self.targets[path].append(target)
            handler = self._handlers.get(path)
            if handler is not None:
                self.counts[path] += 1
        return super()._next_response(path) if handler is None else handler(query)


class _QueryHandler(_Handler):
    def _answer(self, *, with_body: bool) -> None:
        _current.target = self.path
        super()._answer(with_body=with_body)
