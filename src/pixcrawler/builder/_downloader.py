"""Polite, bounded, retried image downloads over async httpx."""

import asyncio
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx

from pixcrawler.builder.net import (
    SNIFF_BYTES,
    ClientPool,
    HostSlots,
    NetworkGuard,
    classify_network_error,
    classify_response,
    read_body,
    redirect_target,
    robots_forbid_ai,
    sniff_image_type,
)
from pixcrawler.config import Settings
from pixcrawler.errors import (
    BadRequestError,
    PixCrawlerError,
    PolicyError,
    TimeoutException,
    ValidationError,
)
from pixcrawler.records import Download
from pixcrawler.retry import NETWORK_RETRY, Attempts
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class _Body:
    final_url: str
    content: bytes
    content_type: str
    sha256: str


class Downloader:
    """Fetches image bodies with global and per-host limits and the single retry policy.

    Use as an async context manager; :meth:`fetch` returns a :class:`Download` or raises a
    classified :class:`PixCrawlerError` whose ``attempts`` attribute counts HTTP requests made.
    """

    def __init__(self, settings: Settings, clients: ClientPool | None = None) -> None:
        self.settings = settings
        self._guard = NetworkGuard(allow_private=settings.allow_private_network)
        self._host_slots = HostSlots(settings.per_host_concurrency)
        self._clients = clients or ClientPool(settings)
        self._owns_clients = clients is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_clients:
            await self._clients.aclose()

    async def fetch(self, url: str) -> Download:
        """Download ``url`` with up to 3 attempts for transient errors, one for permanent ones."""
        sent = Attempts()
        try:
            body = await self._request(url, sent)
        except PixCrawlerError as error:
            error.attempts = sent.count
            raise
        return Download(
            url, body.final_url, body.content, body.content_type, body.sha256, sent.count
        )

    @NETWORK_RETRY
    async def _request(self, url: str, sent: Attempts) -> _Body:
        """One request (and its redirects): the unit the retry policy repeats."""
        # A refused URL or a failed DNS lookup sends no request: not an HTTP attempt.
        await self._guard.check(url)
        sent.count += 1
        return await self._fetch_once(url)

    async def _fetch_once(self, url: str) -> _Body:
        async with self._host_slots.slot(url):
            try:
                async with (
                    asyncio.timeout(self.settings.total_timeout),
                    self._clients.lease() as client,
                ):
                    return await self._follow(client, url)
            except TimeoutError as exc:
                raise TimeoutException("timeout (total deadline)", url=url) from exc
            except httpx.HTTPError as exc:
                raise classify_network_error(exc, url=url) from exc

    async def _follow(self, client: httpx.AsyncClient, url: str) -> _Body:
        current, seen = url, set()
        for _ in range(self.settings.max_redirects + 1):
            if current in seen:
                raise BadRequestError("redirect loop", url=url)
            seen.add(current)
            await self._guard.check(current)
            response = await client.send(client.build_request("GET", current), stream=True)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = redirect_target(current, response.headers["location"])
                    continue
                return await self._read(url, response)
            finally:
                await response.aclose()
        raise classify_network_error(httpx.TooManyRedirects("too many redirects"), url=url)

    async def _read(self, url: str, response: httpx.Response) -> _Body:
        if response.status_code >= 400:
            raise classify_response(response, url=url)
        directive = robots_forbid_ai(response.headers.get_list("x-robots-tag"))
        if directive is not None:
            raise PolicyError(f"x-robots-tag {directive}", url=url)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.max_bytes:
            raise PolicyError(f"too large (declared {int(declared)} B)", url=url)
        content, digest = await self._stream(url, response)
        content_type = sniff_image_type(content[:SNIFF_BYTES])
        if content_type is None:
            claimed = response.headers.get("content-type", "none").split(";")[0]
            raise ValidationError(f"not an image (content-type {claimed})", url=url)
        return _Body(str(response.url), content, content_type, digest)

    async def _stream(self, url: str, response: httpx.Response) -> tuple[bytes, str]:
        # Raw bytes, decoded with every layer capped: httpx's own decoders have no output cap.
        return await read_body(response, self.settings.max_bytes, url=url)
