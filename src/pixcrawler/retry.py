"""The one network retry policy: every HTTP call PixCrawler makes goes through it.

Policy as data (Scrapy's habit): the retryable types are a named tuple, the numbers are the
user's requirement — 3 attempts, exponential wait 2..10 s, transient errors only, reraise. The
policy is built once, as a Tenacity ``AsyncRetrying`` (and ``Retrying`` for blocking calls), and
applied as a decorator to the functions that send exactly one request::

    @NETWORK_RETRY
    async def _request(self, url: str, sent: Attempts) -> Body: ...

Why not ``tenacity.retry(...)`` itself: it costs about 70 µs a call even when the first attempt
succeeds (tenacity 9.2: a copy of the policy and its state machine on every call, measured in
``benchmarks/overhead.py``). Our decorator makes the first attempt a plain call; a first failure
is handed to a copy of the Tenacity policy, which decides, logs, sleeps and retries exactly as
``tenacity.retry`` would (the failure counts as its attempt 1).
"""

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.wait import wait_base

from pixcrawler.config import get_settings
from pixcrawler.errors import RateLimitError, TransientError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

MAX_ATTEMPTS = 3
WAIT_MULTIPLIER, WAIT_MIN, WAIT_MAX = 1, 2, 10
#: Derived from the error tree, never listed by hand: every TransientError, and nothing else.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (TransientError,)


@dataclass(slots=True)
class Attempts:
    """Requests one logical call has sent; the decorated function counts each one it sends.

    Counted by the function, not the policy: a URL our guard refuses sends no request.
    """

    count: int = 0


class wait_retry_after(wait_base):  # noqa: N801 - tenacity names its waits in lower case
    """Exponential backoff, except a 429's ``Retry-After`` wins, held within [min, max].

    ``Retry-After: 0`` waits the policy's minimum (2 s), a huge value its maximum (10 s); a
    value that is not a number of seconds (negative, NaN) is ignored: the backoff applies.
    Tenacity owns the only sleep, so a Retry-After is never slept twice.
    """

    def __init__(self, fallback: wait_base, floor: float, cap: float) -> None:
        self.fallback = fallback
        self.floor = floor
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        hint = error.retry_after if isinstance(error, RateLimitError) else None
        if hint is not None and hint >= 0:  # NaN compares False: not a hint
            return float(min(max(hint, self.floor), self.cap))
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
        resource_id=getattr(error, "url", None),
        error_type=type(error).__name__,
        sleep_s=round(sleep, 2),
    ).warning("transient error, retrying")


def _wait_scale() -> float:
    # 1 everywhere but under the test suite's PIXCRAWLER_ENVIRONMENT=test (config refuses it).
    return get_settings().retry_wait_scale


async def _sleep(seconds: float) -> None:
    scaled = seconds * _wait_scale()
    if scaled > 0:
        await asyncio.sleep(scaled)


def _sleep_sync(seconds: float) -> None:
    scaled = seconds * _wait_scale()
    if scaled > 0:
        time.sleep(scaled)


def _policy() -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(MAX_ATTEMPTS),
        "wait": wait_retry_after(
            wait_exponential(multiplier=WAIT_MULTIPLIER, min=WAIT_MIN, max=WAIT_MAX),
            WAIT_MIN,
            WAIT_MAX,
        ),
        "retry": retry_if_exception_type(RETRYABLE_ERRORS),
        "before_sleep": log_before_sleep,
        "reraise": True,
    }


#: The policy for async calls (downloads, result pages); decorators copy it per failing call.
NETWORK_POLICY = AsyncRetrying(sleep=_sleep, **_policy())
#: The same policy for blocking calls (storage SDKs, whose own retries are switched off).
NETWORK_POLICY_SYNC = Retrying(sleep=_sleep_sync, **_policy())


def retried(
    policy: AsyncRetrying,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """A decorator applying ``policy`` to an async function that sends one request a call."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def first_then_policy(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except Exception as error:  # the policy's predicate decides what it was
                first: Exception = error
            pending = [first]

            async def attempt() -> R:
                if pending:
                    raise pending.pop()
                return await fn(*args, **kwargs)

            # A copy per call: a Retrying object keeps its state between awaits.
            result: R = await policy.copy()(attempt)
            return result

        first_then_policy.retry = policy  # type: ignore[attr-defined] # as tenacity.retry does
        return first_then_policy

    return decorate


def retried_sync(policy: Retrying) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """:func:`retried` for blocking functions."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def first_then_policy(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as error:
                first: Exception = error
            pending = [first]

            def attempt() -> R:
                if pending:
                    raise pending.pop()
                return fn(*args, **kwargs)

            result: R = policy.copy()(attempt)
            return result

        first_then_policy.retry = policy  # type: ignore[attr-defined]
        return first_then_policy

    return decorate


#: Decorator for async network calls: ``@NETWORK_RETRY``.
NETWORK_RETRY = retried(NETWORK_POLICY)
#: Decorator for blocking network calls: ``@NETWORK_RETRY_SYNC``.
NETWORK_RETRY_SYNC = retried_sync(NETWORK_POLICY_SYNC)
