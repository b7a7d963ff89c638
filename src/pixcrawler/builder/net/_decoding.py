"""Content-Encoding decoders whose output is capped as it is produced (compression bombs).

httpx checks nothing while it decodes: a body-size limit applied to the chunks it hands out
comes after a whole chunk is inflated, and its brotli and zstd decoders have no output cap (6.5 KB
of brotli grew a fetch process to 8.4 GB). Here every decoder produces at most
:data:`PIECE_BYTES` per step, and :class:`DecodedBody` stops a layer as soon as its output passes
the limit, so memory stays near the limit whatever the server sends, stacked encodings included.
"""

import zlib
from collections.abc import Callable, Iterator
from typing import IO, Protocol, cast

import zstandard

from pixcrawler.errors import PolicyError, ValidationError

#: Most bytes a decoder produces per step: the unit of memory above the limit.
PIECE_BYTES = 64 * 1024
#: The largest zstd window accepted (8 MiB); a frame asking for more is refused, not allocated.
ZSTD_MAX_WINDOW = 1 << 23


class DecodedTooLarge(PolicyError):
    """A layer's decoded output passed the limit."""


class _Decoder(Protocol):
    """One encoding layer: raw pieces in, decoded pieces (each at most PIECE_BYTES) out."""

    def feed(self, data: bytes) -> Iterator[bytes]: ...


class _ZlibDecoder:
    """gzip (every member of a multi-member body) or deflate (zlib-wrapped or raw)."""

    def __init__(self, encoding: str) -> None:
        self.gzip = encoding in {"gzip", "x-gzip"}
        self._wbits = zlib.MAX_WBITS | 16 if self.gzip else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and not self.gzip:
            self._started = True
            try:  # Servers send "deflate" both zlib-wrapped (RFC) and raw; httpx accepts both.
                zlib.decompressobj(self._wbits).decompress(data[:2], 0)
            except zlib.error:
                self._wbits = -zlib.MAX_WBITS
                self._inflater = zlib.decompressobj(self._wbits)
        while True:
            piece = self._inflate(data)
            data = self._inflater.unconsumed_tail
            if piece:
                yield piece
            if self._inflater.eof:
                data = self._inflater.unused_data
                if not self.gzip or not data.strip(b"\x00"):
                    return  # padding or trailing bytes after the stream: ignored, as httpx does
                self._inflater = zlib.decompressobj(self._wbits)  # the next gzip member
            elif not data and len(piece) < PIECE_BYTES:
                return  # everything fed is decoded; a full piece may have more behind it

    def _inflate(self, data: bytes) -> bytes:
        # max_length bounds each step; what it did not consume waits in unconsumed_tail.
        try:
            return self._inflater.decompress(data, PIECE_BYTES)
        except zlib.error as exc:
            raise ValidationError(f"bad {'gzip' if self.gzip else 'deflate'} encoding") from exc


class _BrotliDecoder:
    """brotli, through ``output_buffer_limit`` (brotli >= 1.2)."""

    def __init__(self) -> None:
        import brotli

        self._error = brotli.error
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        piece = self._step(data)
        while True:
            if piece:
                yield piece
            if self._decompressor.can_accept_more_data():
                return
            piece = self._step(b"")

    def _step(self, data: bytes) -> bytes:
        try:
            return bytes(self._decompressor.process(data, output_buffer_limit=PIECE_BYTES))
        except self._error as exc:
            raise ValidationError("bad br encoding") from exc


class _Collector:
    """The write target of zstandard's stream writer: keeps its pieces, up to the limit.

    The writer pushes every piece of a call before it returns, so the limit is enforced here,
    inside the call: the exception stops the decompressor mid-stream.
    """

    def __init__(self, limit: int) -> None:
        self.pieces: list[bytes] = []
        self.limit, self.total = limit, 0

    def write(self, data: bytes) -> int:
        self.total += len(data)
        if self.total > self.limit:
            raise DecodedTooLarge(f"too large (decoded body over {self.limit} B)")
        self.pieces.append(bytes(data))
        return len(data)


class _ZstdDecoder:
    """zstd, through a stream writer that emits PIECE_BYTES at a time."""

    def __init__(self, limit: int) -> None:
        self._collector = _Collector(limit)
        decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        # Typed as a file, but zstandard only ever calls write() on its target.
        target = cast("IO[bytes]", self._collector)
        self._writer = decompressor.stream_writer(target, write_size=PIECE_BYTES)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            self._writer.write(data)
        except zstandard.ZstdError as exc:
            raise ValidationError("bad zstd encoding") from exc
        pieces, self._collector.pieces = self._collector.pieces, []
        yield from pieces


def _brotli_supported() -> bool:
    try:
        import brotli
    except ImportError:
        return False
    return hasattr(brotli.Decompressor, "can_accept_more_data")


def _decoder_factories(limit: int) -> dict[str, Callable[[], _Decoder]]:
    factories: dict[str, Callable[[], _Decoder]] = {
        "gzip": lambda: _ZlibDecoder("gzip"),
        "x-gzip": lambda: _ZlibDecoder("gzip"),
        "deflate": lambda: _ZlibDecoder("deflate"),
        "zstd": lambda: _ZstdDecoder(limit),
    }
    if _brotli_supported():
        factories["br"] = _BrotliDecoder
    return factories


class DecodedBody:
    """Undo a ``Content-Encoding`` header's layers with every layer's output capped at ``limit``.

    Raises (from :meth:`feed`):
        DecodedTooLarge: "too large (decoded body over N B)".
        PolicyError: an encoding we cannot decode with a bound ("unsupported content-encoding").
        ValidationError: a layer's data is corrupt ("bad gzip encoding").
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        self.limit = limit
        factories = _decoder_factories(limit)
        # Listed in the order applied, so undone last to first; "identity" is no layer.
        names = [token.strip().lower() for token in content_encoding.split(",")]
        self.encodings = [name for name in reversed(names) if name and name != "identity"]
        unknown = [name for name in self.encodings if name not in factories]
        if unknown:
            raise PolicyError(f"unsupported content-encoding ({', '.join(unknown)})")
        self._layers = [factories[name]() for name in self.encodings]
        self._produced = [0] * len(self._layers)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw piece, in order."""
        yield from self._through(0, data)

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        if depth == len(self._layers):
            yield data
            return
        decoder = self._layers[depth]
        for piece in decoder.feed(data):
            self._produced[depth] += len(piece)
            if self._produced[depth] > self.limit:
                raise DecodedTooLarge(f"too large (decoded body over {self.limit} B)")
            yield from self._through(depth + 1, piece)
