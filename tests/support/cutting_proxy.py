"""An HTTP proxy in front of a storage emulator that breaks the bodies of chosen GETs.

The client talks to the proxy as if it were the service (Azurite, moto). Every request is
forwarded; for a GET whose path ends with ``target``, the proxy counts it and answers with the
real status and headers but only half the body, then closes the connection ("cut") or holds it
open until the proxy stops ("stall", a read timeout for the client). Counts are taken here, at
the server side of the client's connection, so they include every retry of every layer.
"""

import http.client
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Mode = Literal["cut", "stall"]
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding"}


class CuttingProxy(ThreadingHTTPServer):
    """``127.0.0.1:<port>`` → ``upstream``; GETs of paths ending in ``target`` are broken."""

    daemon_threads = True

    def __init__(self, upstream: tuple[str, int], target: str, mode: Mode = "cut") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.target, self.mode = upstream, target, mode
        self.counts: Counter[str] = Counter()
        self.released = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def broken_gets(self) -> int:
        """GETs of the target path received so far."""
        with self._lock:
            return self.counts["GET target"]

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1


class _Handler(BaseHTTPRequestHandler):
    server: CuttingProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the test reads counts, not logs."""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                upstream.putheader(name, value)
            upstream.endheaders(body)
            response = upstream.getresponse()
            content = response.read()
        finally:
            upstream.close()
        broken = self.command == "GET" and self.path.split("?")[0].endswith(self.server.target)
        self.server.count(f"{self.command} {'target' if broken else 'other'}")
        self.send_response(response.status, response.reason)
        head = self.command == "HEAD"  # its Content-Length is the object's: passed on as is
        for name, value in response.getheaders():
            if name.lower() not in _HOP_HEADERS and (head or name.lower() != "content-length"):
                self.send_header(name, value)
        if not head:
            self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if not broken or len(content) < 2:
            self.wfile.write(content)
            return
        self.wfile.write(content[: len(content) // 2])
        self.wfile.flush()
        if self.server.mode == "stall":
            self.server.released.wait(timeout=60)
        self.close_connection = True

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward  # noqa: N815 - stdlib's names


@contextmanager
def cutting_proxy(upstream_url: str, target: str, mode: Mode = "cut") -> Iterator[CuttingProxy]:
    """Run a :class:`CuttingProxy` in front of ``upstream_url`` (``http://host:port``)."""
    host, port = upstream_url.removeprefix("http://").split("/")[0].rsplit(":", 1)
    proxy = CuttingProxy((host, int(port)), target, mode)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield proxy
    finally:
        proxy.released.set()
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=10)
