"""Error classification: 400/401/403/404 permanent, 429/503/504 transient, the rest permanent."""

import httpx
import pytest

from pixcrawler import errors
from pixcrawler.builder.net import classify_network_error


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.AuthenticationError),
        (404, errors.NotFoundError),
        (410, errors.NotFoundError),
        (429, errors.RateLimitError),
        (503, errors.ServiceUnavailableError),
        (504, errors.ServiceUnavailableError),
        (500, errors.PermanentError),
        (418, errors.PermanentError),
    ],
)
def test_http_status_classes(status: int, expected: type[Exception]) -> None:
    error = errors.classify_http_error(status, url="http://x/")
    assert type(error) is expected
    assert error.reason == f"http {status}"
    assert error.url == "http://x/"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_permanent_statuses_are_not_transient(status: int) -> None:
    error = errors.classify_http_error(status)
    assert isinstance(error, errors.PermanentError)
    assert not isinstance(error, errors.TransientError)


def test_retry_after_is_carried() -> None:
    error = errors.classify_http_error(429, retry_after=7.0)
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectTimeout("t"), errors.TimeoutException),
        (httpx.ReadTimeout("t"), errors.TimeoutException),
        (httpx.ConnectError("refused"), errors.NetworkError),
        (httpx.RemoteProtocolError("cut"), errors.NetworkError),
        (httpx.TooManyRedirects("loop"), errors.BadRequestError),
        (httpx.UnsupportedProtocol("ftp"), errors.BadRequestError),
        (ConnectionResetError(), errors.NetworkError),
        (RuntimeError("odd"), errors.PermanentError),
    ],
)
def test_network_errors(exc: Exception, expected: type[Exception]) -> None:
    assert type(classify_network_error(exc, url="u")) is expected


def test_hierarchy_is_documented() -> None:
    doc = errors.__doc__ or ""
    for cls in (errors.PermanentError, errors.TransientError):
        for sub in cls.__subclasses__():
            assert sub.__name__ in doc, f"{sub.__name__} missing from the module docstring tree"
