"""A local HTTP server playing every web behaviour the crawler must survive, so tests stay offline.

Tests register routes (``add``, ``add_sequence``, ``add_bulk``, ``install_failure_modes``), fetch
``server.url(path)`` and check ``server.count(path)``. Routes match on the path alone (the query
string is ignored); unknown paths answer 404.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import socket
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .images import ImageSet, make_jpeg, near_duplicate_of, truncated

_STREAM_FILLER = bytes(64 * 1024)


@dataclass(frozen=True)
class Response:
    """One canned answer.

    Attributes:
        status: The status code; with ``redirect_to`` it is used if 3xx, else 302 is sent.
        body: Sent after the headers, unless ``stream`` is set.
        content_type: The Content-Type header, or None to send none.
        headers: Extra headers, such as ``{"Retry-After": "1"}``.
        delay: Seconds to wait before the headers, to trip a client's read timeout.
        declared_length: A Content-Length to declare instead of the true one. The connection is
            closed after the body, so a client waiting for the missing bytes sees EOF, not a hang.
        chunked: Send no Content-Length and the body with ``Transfer-Encoding: chunked``.
        redirect_to: A path (made absolute on this server) or URL for the Location header.
        stream: Called per request for the body's pieces, so a huge body never sits in memory;
            needs ``chunked`` or ``declared_length``.
    """

    status: int = 200
    body: bytes = b""
    content_type: str | None = "image/jpeg"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    declared_length: int | None = None
    chunked: bool = False
    redirect_to: str | None = None
    stream: Callable[[], Iterable[bytes]] | None = None

    def __post_init__(self) -> None:
        if self.stream is not None and not self.chunked and self.declared_length is None:
            raise ValueError("a streamed body needs chunked=True or a declared_length")


_NOT_FOUND = Response(status=404, body=b"not found\n", content_type="text/plain")


@dataclass
class _Route:
    """Successive answers for one path; the last one repeats."""

    responses: tuple[Response, ...]
    served: int = 0

    def next_response(self) -> Response:
        response = self.responses[min(self.served, len(self.responses) - 1)]
        self.served += 1
        return response


@dataclass
class _BulkSet:
    """``count`` distinct JPEGs at ``/{prefix}/{index}.jpg``, encoded on first request."""

    prefix: str
    count: int
    size: tuple[int, int]
    cache: dict[int, Response] = field(default_factory=dict)

    def response(self, index: int) -> Response:
        cached = self.cache.get(index)
        if cached is None:
            # Far from ImageSet's small seeds, different per prefix; a race only encodes twice.
            seed = (zlib.crc32(self.prefix.encode()) << 24) + index
            cached = self.cache[index] = Response(body=make_jpeg(seed, self.size))
        return cached


class FixtureServer:
    """A threaded HTTP/1.1 keep-alive server on 127.0.0.1 serving routes registered by tests.

    Attributes:
        counts: Requests received per path, unknown paths included; read it or call ``count``.
        peak_in_flight: The most requests answered at once since the last ``reset``.
        errors: Unexpected exceptions raised while answering (client disconnects are not errors).
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.in_flight = self.peak_in_flight = 0
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._bulk: dict[str, _BulkSet] = {}
        self._unique = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FixtureServer:
        """Listen on a free port and serve from a background thread."""
        if self._httpd is not None:
            raise RuntimeError("the fixture server is already running")
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="fixture-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections, and wait for every handler thread to finish."""
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()  # wakes handlers sleeping on a Response.delay
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.disconnect_all()
        self._httpd.server_close()  # joins the handler threads
        self._httpd = self._thread = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("the fixture server is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + "/" + path.lstrip("/")

    def unique_path(self, name: str) -> str:
        """A path no other caller of this method gets, ending in ``name`` (e.g. ``cat.jpg``)."""
        return f"/u{next(self._unique)}/{name.lstrip('/')}"

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str | None = "image/jpeg",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Answer every request for ``path`` the same way; returns the URL."""
        response = Response(status, body, content_type, dict(headers or {}))
        return self.add_sequence(path, [response])

    def add_sequence(self, path: str, responses: Sequence[Response]) -> str:
        """Answer successive requests for ``path`` in turn, repeating the last; returns the URL."""
        if not responses:
            raise ValueError("a route needs at least one response")
        path = "/" + path.lstrip("/")
        with self._lock:
            self._routes[path] = _Route(tuple(responses))
        return self.url(path)

    def add_bulk(self, prefix: str, n: int, size: tuple[int, int] = (256, 256)) -> list[str]:
        """Serve ``n`` distinct JPEGs at ``/{prefix}/{i}.jpg``, encoded and cached on first request.

        Pictures from one prefix are pairwise far apart for a perceptual hash (the minimum over
        3,000 of them was 12 bits), so a crawl of them should keep every one.
        """
        prefix = prefix.strip("/")
        if not 0 <= n < 1 << 24:
            raise ValueError("n must be between 0 and 16,777,215")
        with self._lock:
            self._bulk[prefix] = _BulkSet(prefix, n, size)
        return [self.url(f"/{prefix}/{index}.jpg") for index in range(n)]

    def count(self, path_or_url: str) -> int:
        """Requests received so far for a path (or a URL's path)."""
        with self._lock:
            return self.counts[urlsplit(path_or_url).path]

    def reset(self) -> None:
        """Zero the request counts and rewind every sequence to its first response."""
        with self._lock:
            self.counts.clear()
            self.peak_in_flight = self.in_flight
            for route in self._routes.values():
                route.served = 0

    def clear(self) -> None:
        """Forget every route and bulk set, then ``reset``."""
        with self._lock:
            self._routes.clear()
            self._bulk.clear()
        self.reset()

    def install_failure_modes(
        self, images: ImageSet | None = None, prefix: str = "/fm"
    ) -> dict[str, str]:
        """Register the catalogue of failure modes under ``prefix``; returns name -> URL.

        Every image-serving route has its own picture (pairwise distinct to a perceptual hash),
        except ``exact_dup`` (ok_1's bytes) and ``near_dup`` (ok_2, re-encoded and brightened).
        """
        root = "/" + prefix.strip("/")
        plan = _failure_mode_plan(images or ImageSet.build(), root)
        for name, answers in plan.items():
            self.add_sequence(
                f"{root}/{name}", [answers] if isinstance(answers, Response) else answers
            )
        return {name: self.url(f"{root}/{name}") for name in plan if "/" not in name}

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def _next_response(self, path: str) -> Response:
        with self._lock:
            self.counts[path] += 1
            route = self._routes.get(path)
            if route is not None:
                return route.next_response()
            prefix, _, name = path[1:].rpartition("/")
            bulk = self._bulk.get(prefix)
        index = name.removesuffix(".jpg")
        if bulk is None or not name.endswith(".jpg") or not index.isdigit():
            return _NOT_FOUND
        return bulk.response(int(index)) if int(index) < bulk.count else _NOT_FOUND


def _failure_mode_plan(images: ImageSet, root: str) -> dict[str, Response | list[Response]]:
    """The answer(s) for each named failure mode, plus the hidden hops of the redirect routes."""
    pictures = iter(images.jpegs)  # each route takes its own picture, so dedup never interferes
    ok = [next(pictures) for _ in range(5)]
    retry_later = {"Retry-After": "1"}
    plan: dict[str, Response | list[Response]] = {
        **{f"ok_{number}": Response(body=body) for number, body in enumerate(ok, start=1)},
        "ok_png": Response(body=images.pngs[0], content_type="image/png"),
        "exact_dup": Response(body=ok[0]),
        "near_dup": Response(body=near_duplicate_of(ok[1])),
        "not_found": _error(404),
        "bad_request": _error(400),
        "unauthorized": _error(401),
        "forbidden": _error(403),
        "rate_limited_then_ok": [_error(429, retry_later), Response(body=next(pictures))],
        "always_429": _error(429, retry_later),
        "flaky_503": [_error(503), _error(503), Response(body=next(pictures))],
        "always_503": _error(503),
        "always_504": _error(504),
        "server_error_500": _error(500),
        "slow": Response(body=next(pictures), delay=5.0),  # before the headers
        "truncated": Response(body=truncated(next(pictures))),  # the first 60%
        "html_as_jpeg": Response(body=b"<!doctype html><html><body>Not an image</body></html>"),
        "redirect_chain": Response(redirect_to=f"{root}/redirect_chain/hop-2"),  # 3 hops
        "redirect_loop": Response(redirect_to=f"{root}/redirect_loop/back"),  # and back again
        # Declares 100 MB, sends a small JPEG, then closes the connection.
        "oversized_declared": Response(body=next(pictures), declared_length=100 * 2**20),
        "oversized_streamed": Response(  # 30 MB, chunked, no Content-Length
            stream=_padded_stream(next(pictures), 30 * 2**20), chunked=True
        ),
        "noai": Response(body=next(pictures), headers={"X-Robots-Tag": "noai"}),
        "noimageai": Response(body=next(pictures), headers={"X-Robots-Tag": "noimageai"}),
        "tiny": Response(body=images.tiny),
        "animated_gif": Response(body=images.animated_gif, content_type="image/gif"),
        "text_plain": Response(body=next(pictures), content_type="text/plain"),
        "no_content_type": Response(body=images.pngs[1], content_type=None),
    }
    plan["redirect_chain/hop-2"] = Response(redirect_to=f"{root}/redirect_chain/hop-3")
    plan["redirect_chain/hop-3"] = Response(redirect_to=f"{root}/redirect_chain/image")
    plan["redirect_chain/image"] = Response(body=next(pictures))
    plan["redirect_loop/back"] = Response(redirect_to=f"{root}/redirect_loop")
    return plan


def _error(status: int, headers: dict[str, str] | None = None) -> Response:
    body = f"error {status}\n".encode()
    return Response(status, body, content_type="text/plain", headers=dict(headers or {}))


def _padded_stream(head: bytes, total: int) -> Callable[[], Iterator[bytes]]:
    """A body of ``total`` bytes starting with ``head``, produced 64 KiB at a time."""

    def pieces() -> Iterator[bytes]:
        yield head
        for start in range(len(head), total, len(_STREAM_FILLER)):
            yield _STREAM_FILLER[: total - start]

    return pieces


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes; Nagle would hold the body back for a delayed ACK.
    disable_nagle_algorithm = True
    timeout = 30  # seconds an idle keep-alive connection is kept
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a benchmark's thousands of requests would bury the test output."""

    def _answer(self, *, with_body: bool) -> None:
        fixture = self.server.fixture
        with fixture._answering():
            response = fixture._next_response(urlsplit(self.path).path)
            if response.delay and fixture._stopping.wait(response.delay):
                self.close_connection = True
                return
            try:
                self._send_headers(response)
                if with_body:
                    self._send_body(response)
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client gave up, as some tests intend

    def _send_headers(self, response: Response) -> None:
        status = response.status
        if response.redirect_to is not None and not 300 <= status < 400:
            status = 302
        self.send_response(status)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.redirect_to is not None:
            location = response.redirect_to
            if location.startswith("/"):
                location = self.server.fixture.url(location)
            self.send_header("Location", location)
        if response.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif response.declared_length is None:
            self.send_header("Content-Length", str(len(response.body)))
        else:
            self.send_header("Content-Length", str(response.declared_length))
            self.send_header("Connection", "close")  # the body will not match what was declared
        self.end_headers()

    def _send_body(self, response: Response) -> None:
        pieces = response.stream() if response.stream is not None else (response.body,)
        if not response.chunked:
            for piece in pieces:
                self.wfile.write(piece)
            return
        for piece in pieces:
            if piece:
                self.wfile.write(b"%x\r\n%b\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections from a burst of clients

    def __init__(self, fixture: FixtureServer) -> None:
        self.fixture = fixture
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def disconnect_all(self) -> None:
        """Wake every handler blocked on a read or write by shutting its socket down."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # a client that hangs up mid-answer is routine here, not a failure
        if error is not None:
            self.fixture.errors.append(error)
        super().handle_error(request, client_address)
