"""Compression bombs: bodies a few KB long that decode to a GiB starting with a JPEG signature.

Built without compressing a GiB: a deflate block of 1 MiB of zeros, ended by a full flush,
depends on nothing before it, so the same block repeated N times is N MiB of zeros.
"""

import struct
import zlib
from collections.abc import Iterator

import brotli
import zstandard

#: Decoded bodies start like a JPEG, so no early "not an image" sniff stops the read.
HEAD = b"\xff\xd8\xff\xe0"
_MIB = bytes(1 << 20)


def _raw_deflate(mib: int) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(HEAD) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(_MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc, adler = zlib.crc32(HEAD), zlib.adler32(HEAD)
    for _ in range(mib):
        crc, adler = zlib.crc32(_MIB, crc), zlib.adler32(_MIB, adler)
    return head + block * mib + b"\x03\x00", crc, adler


def gzip_bomb(mib: int) -> bytes:
    """A gzip member decoding to ``mib`` MiB (plus the head)."""
    stream, crc, _ = _raw_deflate(mib)
    size = (len(HEAD) + mib * len(_MIB)) & 0xFFFFFFFF
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + stream + struct.pack("<II", crc, size)


def deflate_bomb(mib: int) -> bytes:
    """A zlib-wrapped deflate stream decoding to ``mib`` MiB."""
    stream, _, adler = _raw_deflate(mib)
    return b"\x78\x9c" + stream + struct.pack(">I", adler)


def gzip(data: bytes) -> bytes:
    """One more gzip layer (for stacked encodings)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def _zeros(mib: int) -> Iterator[bytes]:
    yield HEAD
    for _ in range(mib):
        yield _MIB


def brotli_bomb(mib: int) -> bytes:
    compressor = brotli.Compressor(quality=1)
    return b"".join(compressor.process(piece) for piece in _zeros(mib)) + compressor.finish()


def zstd_bomb(mib: int) -> bytes:
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    return b"".join(compressor.compress(piece) for piece in _zeros(mib)) + compressor.flush()


def all_bombs(mib: int) -> dict[str, tuple[str, bytes]]:
    """name -> (Content-Encoding, body) for every encoding, stacked gzip included."""
    gzipped = gzip_bomb(mib)
    return {
        "gzip": ("gzip", gzipped),
        "deflate": ("deflate", deflate_bomb(mib)),
        "br": ("br", brotli_bomb(mib)),
        "zstd": ("zstd", zstd_bomb(mib)),
        "gzip-gzip": ("gzip, gzip", gzip(gzipped)),
        "gzip-br": ("gzip, br", brotli.compress(gzipped, quality=1)),
    }
