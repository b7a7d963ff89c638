"""One live query per engine, to see whether each still answers and its parser still reads it."""

import asyncio
import socket
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass
from urllib.parse import urlsplit

from pixcrawler.builder.discovery._pages import Discovery
from pixcrawler.builder.discovery.engines import SearchQuery, get_engine
from pixcrawler.config import Settings
from pixcrawler.errors import NetworkError, PixCrawlerError, TimeoutException

#: Pages read per engine: DuckDuckGo needs two (its token page, then results).
CHECK_PAGES = 2


@dataclass(frozen=True, slots=True)
class EngineCheck:
    """How one engine did: ``status`` is ``ok``, ``empty``, ``unreachable`` or ``failed``."""

    engine: str
    status: str
    results: int
    detail: str  # "35 results", the parser's note, or the error's reason

    @property
    def line(self) -> str:
        """One line for a terminal: ``bing: ok, 35 results``."""
        return f"{self.engine}: {self.status}, {self.detail}"


async def check_engines(
    names: Sequence[str], query_text: str, settings: Settings
) -> list[EngineCheck]:
    """Ask every engine in ``names`` for ``query_text`` at once; never raises for an engine."""
    discovery = Discovery(settings)
    try:
        query = SearchQuery(query_text, query_text)
        return list(await asyncio.gather(*(_check(discovery, n, query) for n in names)))
    finally:
        await discovery.aclose()


async def _check(discovery: Discovery, name: str, query: SearchQuery) -> EngineCheck:
    base_url = discovery.settings.engine_base_url(name)
    host = urlsplit(base_url).hostname or base_url
    if not await _resolves(host):  # offline: say so at once, without three retried requests
        return EngineCheck(name, "unreachable", 0, f"no network (cannot resolve {host})")
    found, note = 0, None
    try:
        pages = discovery.pages(get_engine(name), query, max_pages=CHECK_PAGES)
        async with aclosing(pages):
            async for page in pages:
                found += len(page.candidates)
                note = page.note or note
                if found:
                    break
    except (NetworkError, TimeoutException) as error:
        return EngineCheck(name, "unreachable", 0, f"{base_url} did not answer ({error.reason})")
    except PixCrawlerError as error:
        return EngineCheck(name, "failed", 0, error.reason)
    if found:
        return EngineCheck(name, "ok", found, f"{found} results")
    return EngineCheck(name, "empty", 0, note or "no results")


async def _resolves(host: str) -> bool:
    """Whether DNS knows ``host``: no answer means no network (or a mistyped base URL)."""
    try:
        await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return True
