"""The one network retry policy: every HTTP call PixCrawler makes goes through it.

Policy as data (Scrapy's habit): the retryable types are a named tuple, the numbers are the
user's requirement — 3 attempts, exponential wait 2..10 s, transient errors only, reraise.
"""

import asyncio
import time
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.wait import wait_base

from pixcrawler.config import get_settings
from pixcrawler.errors import RateLimitError, TransientError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

MAX_ATTEMPTS = 3
WAIT_MULTIPLIER, WAIT_MIN, WAIT_MAX = 1, 2, 10
#: Derived from the error tree, never listed by hand: every TransientError, and nothing else.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (TransientError,)


class wait_retry_after(wait_base):  # noqa: N801 - tenacity names its waits in lower case
    """Exponential backoff, except a 429's ``Retry-After`` wins (capped at the policy's max).

    Tenacity owns the only sleep, so a Retry-After is never slept twice.
    """

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return max(0.0, min(error.retry_after, self.cap))
        return float(self.fallback(retry_state))


def log_before_sleep(retry_state: RetryCallState) -> None:
    """``before_sleep`` hook: one structured line per retry, with attempt, url and error type."""
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None else None
    sleep = retry_state.next_action.sleep if retry_state.next_action else 0.0
    logger.bind(
        operation="http_request",
        attempt=retry_state.attempt_number,
        retry_count=retry_state.attempt_number,
        max_attempts=MAX_ATTEMPTS,
        url=getattr(error, "url", None),
        error_type=type(error).__name__,
        sleep_s=round(sleep, 2),
    ).warning("transient error, retrying")


async def _sleep(seconds: float) -> None:
    """Sleep the computed backoff, scaled by ``retry_wait_scale`` (0 in tests: never slept)."""
    scaled = seconds * get_settings().retry_wait_scale
    if scaled > 0:
        await asyncio.sleep(scaled)


def _policy() -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(MAX_ATTEMPTS),
        "wait": wait_retry_after(
            wait_exponential(multiplier=WAIT_MULTIPLIER, min=WAIT_MIN, max=WAIT_MAX), WAIT_MAX
        ),
        "retry": retry_if_exception_type(RETRYABLE_ERRORS),
        "before_sleep": log_before_sleep,
        "reraise": True,
        "sleep": _sleep,
    }


#: Decorator form for async network calls: ``@NETWORK_RETRY``.
NETWORK_RETRY = retry(**_policy())


def network_retrying() -> AsyncRetrying:
    """A fresh ``AsyncRetrying`` with the same policy, for ``async for attempt in ...`` blocks."""
    return AsyncRetrying(**_policy())


def _sleep_sync(seconds: float) -> None:
    scaled = seconds * get_settings().retry_wait_scale
    if scaled > 0:
        time.sleep(scaled)


#: The same policy for blocking calls (storage SDKs in workers): ``@NETWORK_RETRY_SYNC``.
#: SDKs' own retries are switched off where it is used, so there is still one layer.
NETWORK_RETRY_SYNC = retry(**{**_policy(), "sleep": _sleep_sync})


def network_retrying_sync() -> Retrying:
    """A fresh blocking ``Retrying`` with the policy, for ``for attempt in ...`` blocks."""
    return Retrying(**{**_policy(), "sleep": _sleep_sync})
