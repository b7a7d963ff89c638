"""The downloader against every failure mode, counting requests on the server side."""

import asyncio
import hashlib
import io

import pytest
from loguru import logger

from pixcrawler import errors
from pixcrawler.builder._downloader import Downloader
from pixcrawler.config import Settings, get_settings
from pixcrawler.records import Download
from pixcrawler.utility.logging_config import configure_logging
from support.images import ImageSet
from support.server import FixtureServer, Response


def _settings(**overrides: object) -> Settings:
    base: dict[str, object] = {"read_timeout": 0.5, "max_bytes": 2_000_000}
    return Settings(**{**base, **overrides})  # type: ignore[arg-type]


def fetch(url: str, **overrides: object) -> Download:
    async def go() -> Download:
        async with Downloader(_settings(**overrides)) as downloader:
            return await downloader.fetch(url)

    return asyncio.run(go())


def fetch_error(url: str, **overrides: object) -> errors.PixCrawlerError:
    with pytest.raises(errors.PixCrawlerError) as caught:
        fetch(url, **overrides)
    return caught.value


def test_ok_image_has_sha256_and_one_attempt(
    server: FixtureServer, failure_modes: dict[str, str]
) -> None:
    download = fetch(failure_modes["ok_1"])
    assert download.attempts == 1
    assert download.content_type == "image/jpeg"
    assert download.sha256 == hashlib.sha256(download.content).hexdigest()
    assert server.count(failure_modes["ok_1"]) == 1


@pytest.mark.parametrize(
    ("mode", "error", "reason"),
    [
        ("not_found", errors.NotFoundError, "http 404"),
        ("bad_request", errors.BadRequestError, "http 400"),
        ("unauthorized", errors.AuthenticationError, "http 401"),
        ("forbidden", errors.AuthenticationError, "http 403"),
        ("server_error_500", errors.PermanentError, "http 500"),
    ],
)
def test_permanent_errors_cost_exactly_one_request(
    server: FixtureServer,
    failure_modes: dict[str, str],
    mode: str,
    error: type[Exception],
    reason: str,
) -> None:
    failure = fetch_error(failure_modes[mode])
    assert type(failure) is error
    assert failure.reason == reason
    assert failure.attempts == 1
    assert server.count(failure_modes[mode]) == 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("always_503", errors.ServiceUnavailableError),
        ("always_504", errors.ServiceUnavailableError),
        ("always_429", errors.RateLimitError),
        ("slow", errors.TimeoutException),
    ],
)
def test_transient_errors_cost_at_most_three_requests(
    server: FixtureServer, failure_modes: dict[str, str], mode: str, error: type[Exception]
) -> None:
    failure = fetch_error(failure_modes[mode])
    assert isinstance(failure, error)
    assert failure.attempts == 3
    assert server.count(failure_modes[mode]) == 3  # never 9


@pytest.mark.parametrize("mode", ["flaky_503", "rate_limited_then_ok"])
def test_transient_then_success(
    server: FixtureServer, failure_modes: dict[str, str], mode: str
) -> None:
    download = fetch(failure_modes[mode])
    expected = 3 if mode == "flaky_503" else 2
    assert download.attempts == expected
    assert server.count(failure_modes[mode]) == expected


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("1", 2.0), ("0", 2.0), ("7", 7.0), ("86400", 10.0), ("nan", 2.0), ("-5", 2.0), ("soon", 2.0)],
)
def test_retry_after_is_honoured_once_within_the_policy(
    server: FixtureServer, images: ImageSet, monkeypatch: pytest.MonkeyPatch,
    retry_after: str, expected: float,
) -> None:  # fmt: skip
    """A 429's hint is slept once, held within [2 s, 10 s]; a meaningless one gets the backoff."""
    monkeypatch.setenv("PIXCRAWLER_RETRY_WAIT_SCALE", "1")
    get_settings.cache_clear()
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("pixcrawler.retry.asyncio.sleep", fake_sleep)
    limited = Response(status=429, body=b"slow down", headers={"Retry-After": retry_after})
    url = server.add_sequence(
        server.unique_path("a.jpg"), [limited, Response(body=images.jpegs[0])]
    )

    assert fetch(url).attempts == 2
    assert slept == [expected]  # never 0 s, never the hint and the backoff both


def test_retries_are_logged_with_context(failure_modes: dict[str, str]) -> None:
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", sink=stream)
    try:
        fetch_error(failure_modes["always_503"])
    finally:
        logger.remove()
    retries = [line for line in stream.getvalue().splitlines() if "retrying" in line]
    assert len(retries) == 2  # 3 attempts = 2 sleeps
    assert '"attempt": 1' in retries[0]
    assert '"attempt": 2' in retries[1]
    assert '"error_type": "ServiceUnavailableError"' in retries[0]
    assert failure_modes["always_503"] in retries[0]


@pytest.mark.parametrize(
    ("mode", "error", "reason"),
    [
        ("truncated", None, None),  # bytes arrive; the validator rejects them later
        ("html_as_jpeg", errors.ValidationError, "not an image (content-type image/jpeg)"),
        ("redirect_loop", errors.BadRequestError, "redirect loop"),
        ("oversized_declared", errors.PolicyError, "too large (declared 104857600 B)"),
        ("oversized_streamed", errors.PolicyError, "too large (over 2000000 B)"),
        ("noai", errors.PolicyError, "x-robots-tag noai"),
        ("noimageai", errors.PolicyError, "x-robots-tag noimageai"),
    ],
)
def test_refusals_are_permanent_and_single_request(
    server: FixtureServer,
    failure_modes: dict[str, str],
    mode: str,
    error: type[Exception] | None,
    reason: str | None,
) -> None:
    url = failure_modes[mode]
    if error is None:
        assert fetch(url).attempts == 1
        return
    failure = fetch_error(url)
    assert type(failure) is error
    assert failure.reason == reason
    assert failure.attempts == 1
    assert server.count(url) == 1


def test_redirect_chain_is_followed(failure_modes: dict[str, str]) -> None:
    download = fetch(failure_modes["redirect_chain"])
    assert download.final_url.endswith("/redirect_chain/image")
    assert download.content_type == "image/jpeg"


def test_redirect_limit_is_a_setting(failure_modes: dict[str, str]) -> None:
    failure = fetch_error(failure_modes["redirect_chain"], max_redirects=1)
    assert failure.reason == "too many redirects"


@pytest.mark.parametrize(
    ("mode", "mime"), [("text_plain", "image/jpeg"), ("no_content_type", "image/png")]
)
def test_magic_bytes_win_over_content_type(
    failure_modes: dict[str, str], mode: str, mime: str
) -> None:
    assert fetch(failure_modes[mode]).content_type == mime


def test_private_targets_are_refused_without_a_request(
    server: FixtureServer, failure_modes: dict[str, str]
) -> None:
    failure = fetch_error(failure_modes["ok_1"], allow_private_network=False)
    assert isinstance(failure, errors.PolicyError)
    assert failure.reason == (
        "private network address refused (127.0.0.1); allow with "
        "PIXCRAWLER_ALLOW_PRIVATE_NETWORK=1 set where downloads run (on the workers for a "
        "distributed job)"
    )
    assert failure.attempts == 0
    assert server.count(failure_modes["ok_1"]) == 0


def test_user_agent_names_a_contact(server: FixtureServer) -> None:
    assert "+https://" in Settings().user_agent
    assert "PixCrawler" in Settings().user_agent


def test_per_host_limit_bounds_parallel_requests(server: FixtureServer) -> None:
    urls = server.add_bulk("hostlimit", 12)

    async def go() -> list[Download]:
        async with Downloader(_settings(per_host_concurrency=2)) as downloader:
            return await asyncio.gather(*(downloader.fetch(u) for u in urls))

    downloads = asyncio.run(go())
    assert len({d.sha256 for d in downloads}) == 12
