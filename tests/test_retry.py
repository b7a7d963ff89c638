"""The single Tenacity policy: 3 attempts, 2..10 s exponential, transient only, reraise."""

import asyncio
from typing import Any

import pydantic
import pytest
from tenacity import RetryCallState, stop_after_attempt, wait_exponential

from pixcrawler import retry as _retry
from pixcrawler.config import Settings, get_settings
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
    policy = _retry.NETWORK_POLICY
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
    policy = _retry.NETWORK_POLICY
    state = RetryCallState(policy, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return state


def test_backoff_grows_exponentially_within_bounds() -> None:
    wait = _retry.NETWORK_POLICY.wait
    waits = [wait(_state_with(NetworkError("x"), n)) for n in (1, 2, 3, 4, 5)]
    assert waits == [2, 2, 4, 8, 10]  # 1·2^(n-1), clamped to [2, 10]


@pytest.mark.parametrize(
    ("hint", "expected"),
    [(0.0, 2.0), (1.0, 2.0), (7.0, 7.0), (120.0, 10.0), (1e300, 10.0), (float("inf"), 10.0)],
)
def test_retry_after_is_honoured_within_the_policy_bounds(hint: float, expected: float) -> None:
    wait = _retry.NETWORK_POLICY.wait
    assert wait(_state_with(RateLimitError("http 429", retry_after=hint), 1)) == expected


@pytest.mark.parametrize("hint", [float("nan"), -1.0, -1e9])
@pytest.mark.parametrize(("attempt", "backoff"), [(1, 2.0), (3, 4.0)])
def test_a_meaningless_retry_after_falls_back_to_the_backoff(
    hint: float, attempt: int, backoff: float
) -> None:
    wait = _retry.NETWORK_POLICY.wait
    assert wait(_state_with(RateLimitError("http 429", retry_after=hint), attempt)) == backoff


def test_every_wait_of_a_failing_call_is_slept_within_2_and_10_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The decorator really sleeps what the policy computes (scale 1, as in production)."""
    monkeypatch.setenv("PIXCRAWLER_RETRY_WAIT_SCALE", "1")
    get_settings.cache_clear()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_retry.asyncio, "sleep", fake_sleep)
    hints = iter([0.0, float("nan"), 5.0])

    @_retry.NETWORK_RETRY
    async def limited() -> None:
        raise RateLimitError("http 429", retry_after=next(hints))

    with pytest.raises(RateLimitError):
        _run(limited())
    assert slept == [2.0, 2.0]  # 0 → the 2 s floor; NaN → the backoff of attempt 2


def test_waits_are_scaled_not_slept_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_retry.asyncio, "sleep", fake_sleep)
    _run(_retry._sleep(8.0))
    assert slept == []  # PIXCRAWLER_RETRY_WAIT_SCALE=0 (tests/conftest.py)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PIXCRAWLER_RETRY_WAIT_SCALE", "0"), ("PIXCRAWLER_TASK_RETRY_COUNTDOWN", "1")],
)
@pytest.mark.parametrize("environment", ["production", "development"])
def test_test_suite_timings_are_refused_outside_the_test_suite(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, environment: str
) -> None:
    monkeypatch.setenv("PIXCRAWLER_ENVIRONMENT", environment)
    monkeypatch.setenv(variable, value)
    with pytest.raises(pydantic.ValidationError, match="PIXCRAWLER_ENVIRONMENT=test"):
        Settings()


def test_production_keeps_the_policy_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXCRAWLER_ENVIRONMENT", "production")
    monkeypatch.delenv("PIXCRAWLER_RETRY_WAIT_SCALE")
    settings = Settings()
    assert (settings.retry_wait_scale, settings.task_retry_countdown) == (1.0, 60)


def test_the_decorator_keeps_its_policy_and_a_success_costs_one_call() -> None:
    calls = 0

    @_retry.NETWORK_RETRY
    async def ok() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    assert _run(ok()) == "ok" and calls == 1
    assert ok.retry is _retry.NETWORK_POLICY  # type: ignore[attr-defined]


def test_sync_decorator_follows_the_same_policy() -> None:
    calls = 0

    @_retry.NETWORK_RETRY_SYNC
    def flaky() -> None:
        nonlocal calls
        calls += 1
        raise NetworkError("reset", url="k")

    with pytest.raises(NetworkError):
        flaky()
    assert calls == 3
