"""Per-key rate limits: a fixed one-minute window per credential (or client address).

In memory by default (one API process); with ``PIXCRAWLER_RATE_LIMIT_REDIS_URL`` the counters
live in Redis, shared by every process. Over the limit: 429 with ``Retry-After``.
"""

import hashlib
import threading
import time
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from pixcrawler.backend.api.problems import error_response
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

WINDOW = 60
#: Paths probes and scrapers hit; never limited.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


class Counter(Protocol):
    """Counts hits of one key in the current window."""

    def hit(self, key: str, window: int) -> int:
        """Count one hit of ``key`` in window number ``window``; the count so far."""


class MemoryCounter:
    """Counters in this process; the previous window's are dropped as a new one starts."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            if any(w != window for _, w in self._counts):
                self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
            return count


class RedisCounter:
    """Counters in Redis (``INCR`` + ``EXPIRE``), shared by every API process."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0)

    def hit(self, key: str, window: int) -> int:
        name = f"pixcrawler:ratelimit:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW * 2)
        count, _ = pipe.execute()
        return int(count)


class RateLimitMiddleware:
    """429 once a credential passed ``per_minute`` requests in the current minute."""

    def __init__(self, app: ASGIApp, *, per_minute: int, counter: Counter) -> None:
        self.app, self.per_minute, self.counter = app, per_minute, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        now = time.time()
        window = int(now // WINDOW)
        try:
            count = self.counter.hit(_caller_key(scope), window)
        except Exception as exc:  # a limiter outage must not take the API down
            logger.bind(error_type=type(exc).__name__).warning("rate limiter unavailable")
            count = 0
        if count > self.per_minute:
            retry_after = max(1, int((window + 1) * WINDOW - now))
            response = error_response(
                429, "rate_limited",
                f"rate limit of {self.per_minute} requests a minute reached; "
                f"it resets in {retry_after} s", {"Retry-After": str(retry_after)},
            )  # fmt: skip
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _caller_key(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return "cred:" + hashlib.sha256(value).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"
