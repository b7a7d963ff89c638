"""A set of small httpx clients used round-robin instead of one large one.

httpcore's pool scans every connection and queued request on each assignment, so one client
with 64 connections gets slower as concurrency grows (measured on loopback: 425 img/s at 8
connections, 135 img/s at 64). Clients of at most ``CONNECTIONS_PER_CLIENT`` keep the scan short.
"""

import itertools
import math

import httpx

from pixcrawler.config import Settings

CONNECTIONS_PER_CLIENT = 8


class ClientPool:
    """``ceil(max_concurrency / 8)`` clients sharing the global connection budget."""

    def __init__(self, settings: Settings) -> None:
        count = math.ceil(settings.max_concurrency / CONNECTIONS_PER_CLIENT)
        per_client = math.ceil(settings.max_concurrency / count)
        self.clients = [_client(settings, per_client) for _ in range(count)]
        self._turn = itertools.cycle(self.clients)

    def next(self) -> httpx.AsyncClient:
        """The client whose turn it is."""
        return next(self._turn)

    async def aclose(self) -> None:
        """Close every client and its connections."""
        for client in self.clients:
            await client.aclose()


def _client(settings: Settings, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept": "image/*,*/*;q=0.5"},
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout, pool=None),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
    )
