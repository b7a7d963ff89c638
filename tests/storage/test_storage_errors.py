"""Failures against real endpoints: classified, retried by our policy only, counted per request."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobClient
from botocore.httpsession import URLLib3Session

from pixcrawler.backend.storage import DataLakeBlobProvider, S3Storage
from pixcrawler.errors import (
    AuthenticationError,
    InfrastructureError,
    NetworkError,
    PermanentError,
    RateLimitError,
    ServiceUnavailableError,
    TimeoutException,
)
from support.azurite import ACCOUNT_KEY, connection_string, free_port
from support.moto_s3 import REGION, enforced_auth
from support.server import FixtureServer


@dataclass
class CallCounter:
    """How many times a patched method ran (a transport's ``send``: once per HTTP request)."""

    count: int = 0


Watch = Callable[[type, str], CallCounter]


@pytest.fixture
def count_calls(monkeypatch: pytest.MonkeyPatch) -> Watch:
    """Patch ``owner.name`` to count its calls, below any retry layer the SDK might have."""

    def watch(owner: type, name: str) -> CallCounter:
        counter = CallCounter()
        original = getattr(owner, name)

        def counting(self: object, *args: Any, **kwargs: Any) -> Any:
            counter.count += 1
            return original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, counting)
        return counter

    return watch


def _azure_at(port: int, container: str = "box") -> DataLakeBlobProvider:
    return DataLakeBlobProvider(container, connection_string=connection_string(port))


def _s3_at(endpoint: str, bucket: str = "box") -> S3Storage:
    return S3Storage(bucket, endpoint_url=endpoint, region=REGION)


def test_azure_closed_port_is_a_network_error_after_three_requests(count_calls: Watch) -> None:
    sends = count_calls(RequestsTransport, "send")

    with pytest.raises(NetworkError) as caught:
        _azure_at(free_port()).get("k.bin")

    assert caught.value.attempts == 3
    assert sends.count == 3  # the SDK's own retries are off: every request is one of ours


@pytest.mark.usefixtures("aws_credentials")
def test_s3_closed_port_is_a_network_error_after_three_requests(count_calls: Watch) -> None:
    sends = count_calls(URLLib3Session, "send")

    with pytest.raises(NetworkError) as caught:
        _s3_at(f"http://127.0.0.1:{free_port()}").get("k.bin")

    assert caught.value.attempts == 3
    assert sends.count == 3


def test_azure_wrong_account_key_is_an_authentication_error_at_once(
    azurite: str, count_calls: Watch
) -> None:
    wrong_key = base64.b64encode(b"not the key".ljust(64, b"!")).decode()
    provider = DataLakeBlobProvider(
        "box", connection_string=azurite.replace(ACCOUNT_KEY, wrong_key)
    )
    sends = count_calls(RequestsTransport, "send")

    with pytest.raises(AuthenticationError) as caught:
        provider.get("k.bin")

    assert caught.value.attempts == 1
    assert sends.count == 1
    assert "403" in caught.value.reason


def test_s3_unknown_access_key_is_an_authentication_error_at_once(
    s3_provider: S3Storage, moto_s3: str, count_calls: Watch
) -> None:
    sends = count_calls(URLLib3Session, "send")

    with enforced_auth(moto_s3), pytest.raises(AuthenticationError) as caught:
        s3_provider.get("k.bin")

    assert caught.value.attempts == 1
    assert sends.count == 1
    assert "InvalidAccessKeyId" in caught.value.reason


def _answer(server: FixtureServer, path: str, status: int, headers: dict[str, str]) -> None:
    server.add(path, b"", content_type="application/xml", status=status, headers=headers)


@pytest.mark.parametrize(
    ("status", "headers", "expected", "requests"),
    [
        (503, {}, ServiceUnavailableError, 3),
        (429, {"Retry-After": "0"}, RateLimitError, 3),
        (500, {}, PermanentError, 1),
    ],
)
def test_azure_status_codes_follow_the_retry_policy(
    server: FixtureServer,
    status: int,
    headers: dict[str, str],
    expected: type[Exception],
    requests: int,
) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])
    _answer(server, "/devstoreaccount1/box/k.bin", status, headers)

    with pytest.raises(expected) as caught:
        _azure_at(port).get("k.bin")

    assert server.count("/devstoreaccount1/box/k.bin") == requests
    assert type(caught.value) is expected


@pytest.mark.usefixtures("aws_credentials")
@pytest.mark.parametrize(
    ("status", "headers", "expected", "requests"),
    [
        (503, {}, ServiceUnavailableError, 3),
        (429, {"Retry-After": "0"}, RateLimitError, 3),
        (500, {}, PermanentError, 1),
    ],
)
def test_s3_status_codes_follow_the_retry_policy(
    server: FixtureServer,
    status: int,
    headers: dict[str, str],
    expected: type[Exception],
    requests: int,
) -> None:
    _answer(server, "/box/k.bin", status, headers)

    with pytest.raises(expected) as caught:
        _s3_at(server.base_url).get("k.bin")

    assert server.count("/box/k.bin") == requests
    assert type(caught.value) is expected


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(ConnectionResetError(104, "reset"), NetworkError), (TimeoutError(), TimeoutException)],
)
def test_a_plain_network_error_from_the_sdk_is_retried_by_the_policy_only(
    s3_provider: S3Storage, monkeypatch: pytest.MonkeyPatch,
    raised: Exception, expected: type[Exception],
) -> None:  # fmt: skip
    calls: list[int] = []

    def failing(**_: Any) -> Any:
        calls.append(1)
        raise raised

    monkeypatch.setattr(s3_provider.client, "get_object", failing)
    with pytest.raises(expected) as caught:
        s3_provider.get("k.bin")

    assert len(calls) == 3 and caught.value.attempts == 3
    assert not isinstance(caught.value, InfrastructureError)  # never a task retry


def test_memory_error_in_a_storage_call_is_not_made_permanent(
    azure_provider: DataLakeBlobProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory is infrastructure: raised as it is, once, for the task to retry."""
    calls: list[int] = []

    def exhausted(*_: Any, **__: Any) -> Any:
        calls.append(1)
        raise MemoryError

    monkeypatch.setattr(BlobClient, "download_blob", exhausted)
    with pytest.raises(MemoryError):
        azure_provider.get("k.bin")

    assert len(calls) == 1
