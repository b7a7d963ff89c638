"""Compression bombs: decoded bytes are capped as they are produced, for every encoding."""

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest
import zstandard
from PIL import Image

from pixcrawler import errors
from pixcrawler.builder._downloader import Downloader
from pixcrawler.builder.net._decoding import DecodedBody
from pixcrawler.config import Settings
from pixcrawler.records import Download
from support import bombs
from support.rss import PeakRss
from support.server import FixtureServer

LIMIT = 2_000_000
#: Each bomb decodes to a GiB: without the cap a fetch process would pass the RSS bound.
BOMB_MIB = 1024
RSS_BOUND_MB = 500


@pytest.fixture(scope="module")
def bomb_bodies() -> dict[str, tuple[str, bytes]]:
    return bombs.all_bombs(BOMB_MIB)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _fetch(url: str) -> Download:
    async def go() -> Download:
        async with Downloader(Settings(max_bytes=LIMIT, read_timeout=5)) as downloader:
            return await downloader.fetch(url)

    return asyncio.run(go())


def _decode_all(encoding: str, body: bytes, limit: int = LIMIT) -> bytes:
    decoder = DecodedBody(encoding, limit)
    pieces = (body[start : start + 4096] for start in range(0, len(body), 4096))
    return b"".join(decoded for piece in pieces for decoded in decoder.feed(piece))


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": bombs.gzip,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
    "gzip, gzip": lambda data: bombs.gzip(bombs.gzip(data)),
    "gzip, br": lambda data: brotli.compress(bombs.gzip(data)),
    "identity": lambda data: data,
}


@pytest.mark.parametrize("encoding", ENCODERS)
def test_honest_encodings_decode_exactly(encoding: str) -> None:
    data = _jpeg() * 20
    assert _decode_all(encoding, ENCODERS[encoding](data)) == data


def test_raw_deflate_and_multi_member_gzip_decode() -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(b"abc" * 1000) + compressor.flush()
    assert _decode_all("deflate", raw) == b"abc" * 1000
    assert _decode_all("gzip", bombs.gzip(b"one") + bombs.gzip(b"two")) == b"onetwo"


@pytest.mark.parametrize("name", ["gzip", "deflate", "br", "zstd", "gzip-gzip", "gzip-br"])
def test_each_bomb_stops_at_the_limit_with_bounded_memory(
    name: str, bomb_bodies: dict[str, tuple[str, bytes]]
) -> None:
    encoding, body = bomb_bodies[name]
    tracemalloc.start()
    try:
        with pytest.raises(errors.PolicyError) as caught:
            _decode_all(encoding, body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == f"too large (decoded body over {LIMIT} B)"
    # Decoded pieces are dropped as they pass: what is held at once is a few pieces.
    assert peak < 4 * LIMIT


def test_unknown_and_corrupt_encodings_are_permanent_rows() -> None:
    with pytest.raises(errors.PolicyError, match=r"unsupported content-encoding \(compress\)"):
        DecodedBody("compress", LIMIT)
    with pytest.raises(errors.ValidationError, match="bad gzip encoding"):
        _decode_all("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 100)


def test_downloader_caps_a_bomb_the_server_sends_against_identity(
    server: FixtureServer, bomb_bodies: dict[str, tuple[str, bytes]]
) -> None:
    encoding, body = bomb_bodies["br"]
    url = server.add("/bomb.jpg", body, headers={"Content-Encoding": encoding})
    with pytest.raises(errors.PolicyError) as caught:
        _fetch(url)
    assert caught.value.reason == f"too large (decoded body over {LIMIT} B)"
    assert caught.value.attempts == 1
    assert caught.value.url == url


def test_downloader_decodes_an_honest_gzip_image(server: FixtureServer) -> None:
    image = _jpeg()
    url = server.add("/honest.jpg", bombs.gzip(image), headers={"Content-Encoding": "gzip"})
    download = _fetch(url)
    assert download.content == image
    assert download.sha256 == hashlib.sha256(image).hexdigest()


def test_a_build_over_a_list_of_bombs_stays_under_500_mb(
    tmp_path: Path, server: FixtureServer, bomb_bodies: dict[str, tuple[str, bytes]]
) -> None:
    urls = [
        server.add(f"/bombs/{name}.jpg", body, headers={"Content-Encoding": encoding})
        for name, (encoding, body) in bomb_bodies.items()
    ]
    (tmp_path / "bombs.txt").write_text("\n".join(urls) + "\n")
    env = {**os.environ, "PIXCRAWLER_MAX_BYTES": str(LIMIT)}
    command = [sys.executable, "-m", "pixcrawler", "build", "-s", "bombs.txt", "-o", "ds",
               "-q", "--processes", "2", "--concurrency", "8"]  # fmt: skip
    with (
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as build,  # fmt: skip
        PeakRss(build.pid) as rss,
    ):
        _, stderr = build.communicate(timeout=300)
    assert build.returncode == 0, stderr
    assert "Traceback" not in stderr
    manifest = (tmp_path / "ds" / "manifest.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in manifest]
    assert [row["reason"] for row in rows] == [f"too large (decoded body over {LIMIT} B)"] * len(
        bomb_bodies
    )
    assert len(rss.peak_kb) >= 3, "the build and its fetch processes were measured"
    print(f"peak RSS of the build's processes: {rss.peak_kb} kB")
    assert rss.peak_mb < RSS_BOUND_MB, rss.peak_kb
