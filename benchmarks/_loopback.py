"""A fast loopback image server for benchmarks, run as its own process: ``python _loopback.py``.

It serves ``/img/{i}.jpg`` for ``0 <= i < n`` from JPEGs generated in memory from a seed, each one
distinct in bytes and in perceptual hash, plus ``/__stats`` (JSON counters) and an allow-all
``/robots.txt``. A raw asyncio protocol with pre-built headers keeps the server's cost per request
far below the clients' so that it is not what a benchmark measures.
"""

import argparse
import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}
_ROBOTS = b"User-agent: *\nAllow: /\n"


def make_jpeg(index: int, size: int = 256, seed: int = 0) -> bytes:
    """One ~15 KB JPEG: a smooth random field, a few random shapes and fine grain.

    The low-frequency field and shapes make every image's pHash its own (pairwise Hamming
    distance is well above any dedup threshold); the grain brings the file size up to that of a
    real photo thumbnail so that transfer and decode costs are realistic.
    """
    rng = np.random.default_rng([seed, index])
    field_ = (rng.random((6, 6, 3)) * 255).astype(np.uint8)
    image = Image.fromarray(field_).resize((size, size), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = (int(v) for v in rng.integers(0, size, 2))
        width, height = (int(v) for v in rng.integers(size // 8, size // 2, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0, y0, x0 + width, y0 + height], fill=colour)
    grain = rng.integers(-13, 14, (size, size, 3), dtype=np.int16)
    pixels = np.clip(np.asarray(image, dtype=np.int16) + grain, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@dataclass
class _Site:
    """The served content and the counters behind ``/__stats``."""

    images: list[bytes]
    stats: dict[str, int] = field(
        default_factory=lambda: {"requests": 0, "images": 0, "bytes": 0, "connections": 0}
    )

    def route(self, path: bytes) -> tuple[int, bytes, bytes]:
        """Status, content type and body for a GET of ``path``."""
        if path.startswith(b"/img/") and path.endswith(b".jpg"):
            number = path[5:-4]
            if number.isdigit() and int(number) < len(self.images):
                self.stats["images"] += 1
                return 200, b"image/jpeg", self.images[int(number)]
        if path == b"/robots.txt":
            return 200, b"text/plain", _ROBOTS
        if path == b"/__stats":
            return 200, b"application/json", json.dumps(self.stats).encode()
        return 404, b"text/plain", b"not found\n"


class _HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 with keep-alive: GET and HEAD, no request bodies."""

    def __init__(self, site: _Site) -> None:
        self._site = site
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._site.stats["connections"] += 1

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            if not self._respond(head):
                assert self._transport is not None
                self._transport.close()
                return

    def _respond(self, head: bytes) -> bool:
        """Answer one request; return whether the connection stays open."""
        assert self._transport is not None
        request_line, _, headers = head.partition(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3:
            self._transport.write(_header(400, b"text/plain", 0, keep_alive=False))
            return False
        method, target, version = parts
        headers = headers.lower()
        keep_alive = (
            b"connection: keep-alive" in headers
            if version == b"HTTP/1.0"
            else b"connection: close" not in headers
        )
        self._site.stats["requests"] += 1
        if method not in (b"GET", b"HEAD"):
            status, content_type, body = 405, b"text/plain", b""
        else:
            status, content_type, body = self._site.route(target.partition(b"?")[0])
        self._transport.write(_header(status, content_type, len(body), keep_alive=keep_alive))
        if method == b"GET" and body:
            self._site.stats["bytes"] += len(body)
            self._transport.write(body)
        return keep_alive


def _header(status: int, content_type: bytes, length: int, *, keep_alive: bool) -> bytes:
    connection = b"keep-alive" if keep_alive else b"close"
    return b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n" % (
        status,
        _REASONS[status],
        content_type,
        length,
        connection,
    )


async def _serve(images: list[bytes], port: int, *, parent_pipe: bool) -> None:
    site = _Site(images)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _HttpProtocol(site), "127.0.0.1", port, backlog=1024, reuse_address=True
    )
    if parent_pipe:
        # End of stdin means the parent is gone, however it died: never outlive it.
        loop.add_reader(sys.stdin.fileno(), _close_on_eof, server)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY http://127.0.0.1:{bound}", flush=True)
    async with server:
        with contextlib.suppress(asyncio.CancelledError):
            await server.serve_forever()


def _close_on_eof(server: asyncio.Server) -> None:
    if not os.read(sys.stdin.fileno(), 4096):
        asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
        server.close()


def main(argv: list[str] | None = None) -> None:
    """Generate the images, then serve them until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of images")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--parent-pipe", action="store_true", help="exit when stdin (a pipe from the parent) closes"
    )
    args = parser.parse_args(argv)
    images = [make_jpeg(i, args.size, args.seed) for i in range(args.n)]
    asyncio.run(_serve(images, args.port, parent_pipe=args.parent_pipe))


@dataclass(frozen=True)
class LoopbackServer:
    """Handle on a running server process."""

    base_url: str
    process: subprocess.Popen[str]

    def image_urls(self, n: int) -> list[str]:
        """The URLs of the first ``n`` images."""
        return [f"{self.base_url}/img/{i}.jpg" for i in range(n)]

    def stats(self) -> dict[str, int]:
        """The server's request counters so far."""
        import urllib.request

        with urllib.request.urlopen(f"{self.base_url}/__stats", timeout=10) as response:
            counters: dict[str, int] = json.load(response)
        return counters


@contextmanager
def serve_in_subprocess(n: int, size: int = 256, seed: int = 0) -> Iterator[LoopbackServer]:
    """Start the server in its own interpreter (its own GIL), yield it once it is ready."""
    command = [sys.executable, str(Path(__file__).resolve()), f"--n={n}", f"--size={size}"]
    command += [f"--seed={seed}", "--parent-pipe"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"loopback server did not start (said {line!r})")
        yield LoopbackServer(base_url=line.removeprefix("READY "), process=process)
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the server's cue to exit
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
