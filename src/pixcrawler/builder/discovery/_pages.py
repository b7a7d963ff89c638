"""Drive a search engine page by page: fetch with the one retry policy, parse, follow ``next``."""

import json
from collections.abc import AsyncGenerator
from typing import Any

import httpx

from pixcrawler.builder.discovery.engines import Engine, Page, PageRequest, SearchQuery
from pixcrawler.builder.net import (
    ClientPool,
    NetworkGuard,
    classify_network_error,
    classify_response,
)
from pixcrawler.config import Settings
from pixcrawler.errors import (
    ValidationError,
)
from pixcrawler.retry import NETWORK_RETRY
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: Largest search-result body we read; result pages are small, anything bigger is not one.
MAX_PAGE_BYTES = 8 * 1024 * 1024


class Discovery:
    """Fetches search result pages with the same clients, guard and retry policy as downloads."""

    def __init__(self, settings: Settings, clients: ClientPool | None = None) -> None:
        self.settings = settings
        self._clients = clients or ClientPool(settings)
        self._owns_clients = clients is None
        self._guard = NetworkGuard(allow_private=settings.allow_private_network)

    async def aclose(self) -> None:
        """Close the HTTP clients if this object created them."""
        if self._owns_clients:
            await self._clients.aclose()

    async def pages(
        self, engine: Engine, query: SearchQuery, *, max_pages: int | None = None
    ) -> AsyncGenerator[Page, None]:
        """Yield each parsed page until the engine is exhausted or ``max_pages`` were fetched.

        Raises:
            pixcrawler.errors.PixCrawlerError: a page failed after its retries.
        """
        limit = max_pages or self.settings.max_pages_per_query
        request: PageRequest | None = engine.first_request(
            query, self.settings.engine_base_url(engine.name)
        )
        fetched = 0
        while request is not None and fetched < limit:
            body = await self.fetch(request)
            fetched += 1
            page = engine.parse(body, request, query)
            if page.note:
                logger.bind(engine=engine.name, query=query.text, page=fetched).info(page.note)
            yield page
            request = page.next

    async def fetch(self, request: PageRequest) -> Any:
        """GET one page (retried for transient errors) and decode it as text or JSON."""
        return _decode(await self._get(request), request)

    @NETWORK_RETRY
    async def _get(self, request: PageRequest) -> str:
        """One GET of a result page: the unit the retry policy repeats."""
        await self._guard.check(request.url)
        try:
            async with self._clients.lease() as client:
                response = await client.get(
                    _url(request), headers=dict(request.headers), follow_redirects=True
                )
        except httpx.HTTPError as exc:
            raise classify_network_error(exc, url=request.url) from exc
        if response.status_code >= 400:
            raise classify_response(response, url=request.url)
        if len(response.content) > MAX_PAGE_BYTES:
            raise ValidationError("result page too large", url=request.url)
        return response.text


def _url(request: PageRequest) -> httpx.URL:
    """The request URL with ``params`` encoded and ``raw_query`` appended untouched."""
    url = httpx.URL(request.url).copy_merge_params(dict(request.params))
    if not request.raw_query:
        return url
    return httpx.URL(f"{url}{'&' if url.query else '?'}{request.raw_query}")


def _decode(text: str, request: PageRequest) -> Any:
    if request.expect != "json":
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"malformed JSON ({exc.msg})", url=request.url) from exc
    except RecursionError as exc:  # "[[[[…" thousands deep: hostile or broken, never results.
        raise ValidationError("malformed JSON (nested too deeply)", url=request.url) from exc
