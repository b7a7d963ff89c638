"""The single Tenacity policy: 3 attempts, 2..10 s exponential, transient only, reraise."""

import asyncio
from typing import Any

import pytest
from tenacity import RetryCallState, stop_after_attempt, wait_exponential

from pixcrawler import retry as _retry
from pixcrawler.errors import (
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    TimeoutException,
    TransientError,
)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_policy_numbers_match_the_requirement() -> None:
    policy = _retry.network_retrying()
    assert isinstance(policy.stop, stop_after_attempt)
    assert policy.stop.max_attempt_number == 3
    assert isinstance(policy.wait, _retry.wait_retry_after)
    fallback = policy.wait.fallback
    assert isinstance(fallback, wait_exponential)
    assert (fallback.multiplier, fallback.min, fallback.max) == (1, 2, 10)
    assert policy.reraise is True
    assert (TransientError,) == _retry.RETRYABLE_ERRORS  # derived from the tree, not listed
    for error in (TimeoutException, NetworkError, RateLimitError, ServiceUnavailableError):
        assert issubclass(error, TransientError)


@pytest.mark.parametrize("error", [TimeoutException, NetworkError, ServiceUnavailableError])
def test_transient_errors_get_three_attempts_then_reraise(error: type[Exception]) -> None:
    calls = 0

    @_retry.NETWORK_RETRY
    async def flaky() -> None:
        nonlocal calls
        calls += 1
        raise error("boom", url="http://h/x")

    with pytest.raises(error):
        _run(flaky())
    assert calls == 3


def test_permanent_errors_are_not_retried() -> None:
    calls = 0

    @_retry.NETWORK_RETRY
    async def missing() -> None:
        nonlocal calls
        calls += 1
        raise NotFoundError("http 404")

    with pytest.raises(NotFoundError):
        _run(missing())
    assert calls == 1


def test_success_after_transient_failure() -> None:
    calls = 0

    @_retry.NETWORK_RETRY
    async def eventually() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ServiceUnavailableError("http 503")
        return "ok"

    assert _run(eventually()) == "ok"
    assert calls == 3


def _state_with(error: Exception, attempt: int) -> RetryCallState:
    policy = _retry.network_retrying()
    state = RetryCallState(policy, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return state


def test_backoff_grows_exponentially_within_bounds() -> None:
    wait = _retry.network_retrying().wait
    waits = [wait(_state_with(NetworkError("x"), n)) for n in (1, 2, 3, 4, 5)]
    assert waits == [2, 2, 4, 8, 10]  # 1·2^(n-1), clamped to [2, 10]


@pytest.mark.parametrize(("hint", "expected"), [(1.0, 1.0), (7.0, 7.0), (120.0, 10.0)])
def test_retry_after_is_honoured_and_capped(hint: float, expected: float) -> None:
    wait = _retry.network_retrying().wait
    assert wait(_state_with(RateLimitError("http 429", retry_after=hint), 1)) == expected


def test_waits_are_scaled_not_slept_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_retry.asyncio, "sleep", fake_sleep)
    _run(_retry._sleep(8.0))
    assert slept == []  # PIXCRAWLER_RETRY_WAIT_SCALE=0 (tests/conftest.py)
