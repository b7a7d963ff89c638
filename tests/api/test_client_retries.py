"""The Python client retries only what the seed calls transient (429, 503, 504, timeouts,
network errors; 3 attempts) and raises every other error answer at once, typed by code."""

import httpx
import pytest

from pixcrawler.client import (
    ApiError,
    Client,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from pixcrawler.errors import NetworkError, TimeoutException


def _scripted(*answers: int | type[Exception]) -> tuple[Client, list[httpx.Request]]:
    """A client whose server answers ``answers`` in turn (a status, or a transport error)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = answers[min(len(seen), len(answers)) - 1]
        if isinstance(step, type):
            raise step("scripted", request=request)  # type: ignore[call-arg]
        body = {"error": {"code": "x", "message": "scripted", "request_id": "r1"}}
        if step < 400:
            body = {"id": "job-1", "status": "running"}  # type: ignore[dict-item]
        headers = {"Retry-After": "0"} if step == 429 else {}
        return httpx.Response(step, json=body, headers=headers)

    client = Client("http://api.test", "pxc_key", transport=httpx.MockTransport(answer))
    return client, seen


@pytest.mark.parametrize("status", [429, 503, 504])
def test_a_transient_answer_is_retried_until_it_succeeds(status: int) -> None:
    client, seen = _scripted(status, status, 200)
    assert client.get_job("job-1")["status"] == "running"
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("status", "kind"), [(429, RateLimited), (503, Unavailable), (504, Unavailable)]
)
def test_a_transient_answer_that_persists_raises_after_three_attempts(
    status: int, kind: type[ApiError]
) -> None:
    client, seen = _scripted(status)
    with pytest.raises(kind):
        client.get_job("job-1")
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, InvalidRequest), (401, Unauthorized), (403, Forbidden), (404, NotFound),
     (409, Conflict), (413, InvalidRequest), (422, InvalidRequest), (500, ApiError)],
)  # fmt: skip
def test_every_other_error_raises_at_once_typed(status: int, kind: type[ApiError]) -> None:
    client, seen = _scripted(status, 200)
    with pytest.raises(kind) as raised:
        client.get_job("job-1")
    assert len(seen) == 1
    assert raised.value.status == status and raised.value.request_id == "r1"


@pytest.mark.parametrize(
    ("error", "kind"),
    [(httpx.ConnectTimeout, TimeoutException), (httpx.ConnectError, NetworkError)],
)
def test_timeouts_and_network_errors_are_retried_then_raised_as_our_types(
    error: type[Exception], kind: type[Exception]
) -> None:
    client, seen = _scripted(error)
    with pytest.raises(kind):
        client.list_images("job-1").__next__()
    assert len(seen) == 3

    recovering, again = _scripted(error, 200)
    assert recovering.cancel_job("job-1")["status"] == "running"
    assert len(again) == 2
