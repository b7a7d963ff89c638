"""Read an image response's body with its raw and decoded sizes bounded, hashing as it arrives."""

import hashlib

import httpx

from pixcrawler.builder.net._decoding import DecodedBody
from pixcrawler.builder.net._sniff import SNIFF_BYTES, sniff_image_type
from pixcrawler.errors import PixCrawlerError, PolicyError

#: A first piece at least this long that is not an image ends the read: an HTML page or a JSON
#: error body need not be downloaded whole to be refused.
_SNIFF_DECISIVE = 64


async def read_body(response: httpx.Response, limit: int, *, url: str) -> tuple[bytes, str]:
    """The decoded body of a streamed ``response`` and its sha256, at most ``limit`` bytes.

    The raw bytes are read undecoded and decoded by :class:`DecodedBody`, whose every layer
    stops at ``limit``; a body whose first piece is plainly not an image is cut short (the
    caller's sniff then refuses it).

    Raises:
        PolicyError: "too large (over N B)" for raw bytes, "too large (decoded body over N B)"
            for a compression bomb, "unsupported content-encoding (...)".
        ValidationError: a corrupt encoding layer.
    """
    try:
        return await _read(response, limit)
    except PixCrawlerError as error:
        error.url = error.url or url
        raise


async def _read(response: httpx.Response, limit: int) -> tuple[bytes, str]:
    decoder = DecodedBody(response.headers.get("content-encoding", ""), limit)
    digest, body, raw_size = hashlib.sha256(), bytearray(), 0
    async for raw in response.aiter_raw():
        raw_size += len(raw)
        if raw_size > limit:
            raise PolicyError(f"too large (over {limit} B)")
        for piece in decoder.feed(raw):
            if (
                not body
                and len(piece) > _SNIFF_DECISIVE
                and not sniff_image_type(piece[:SNIFF_BYTES])
            ):
                return bytes(piece[:SNIFF_BYTES]), ""
            if len(body) + len(piece) > limit:
                raise PolicyError(f"too large (over {limit} B)")
            digest.update(piece)
            body += piece
    return bytes(body), digest.hexdigest()


def _plainly_not_an_image(piece: bytes) -> bool:
    return len(piece) > _SNIFF_DECISIVE and sniff_image_type(piece[:SNIFF_BYTES]) is None
