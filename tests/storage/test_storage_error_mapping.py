"""SDK exceptions, built by hand, map onto PixCrawler's error classes."""

import socket
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    IncompleteReadError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseTimeoutError,
)
from boto3.exceptions import RetriesExceededError as Boto3RetriesExceededError
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.exceptions import IncompleteReadError as BotoIncompleteReadError
from s3transfer.exceptions import RetriesExceededError as TransferRetriesExceededError

from pixcrawler.backend.storage._errors import translate_azure_error, translate_s3_error
from pixcrawler.errors import (
    AuthenticationError,
    BadRequestError,
    InfrastructureError,
    NetworkError,
    NotFoundError,
    PermanentError,
    RateLimitError,
    ServiceUnavailableError,
    TimeoutException,
)


def _client_error(status: int, code: str, headers: dict[str, str] | None = None) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}},
    }
    return ClientError(response, "GetObject")


def _azure_status(status: int, headers: dict[str, str] | None = None) -> HttpResponseError:
    error = HttpResponseError(message="refused")
    error.status_code = status
    error.response = SimpleNamespace(headers=headers or {})
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_client_error(404, "NoSuchKey"), NotFoundError),
        (_client_error(403, "AccessDenied"), AuthenticationError),
        (_client_error(400, "InvalidBucketName"), BadRequestError),
        (_client_error(503, "SlowDown"), ServiceUnavailableError),
        (_client_error(500, "InternalError"), PermanentError),
        (EndpointConnectionError(endpoint_url="http://x"), NetworkError),
        (ConnectTimeoutError(endpoint_url="http://x"), TimeoutException),
        (ReadTimeoutError(endpoint_url="http://x"), TimeoutException),
        (NoCredentialsError(), AuthenticationError),
        (ParamValidationError(report="bad"), BadRequestError),
        (OSError("disk full"), InfrastructureError),
        (RuntimeError("bug"), PermanentError),
    ],
)
def test_s3_errors(error: Exception, expected: type[Exception]) -> None:
    translated = translate_s3_error(error, "k")

    assert type(translated) is expected
    assert translated.url == "k"


def test_s3_reason_names_the_service_code_and_keeps_retry_after() -> None:
    translated = translate_s3_error(
        _client_error(429, "TooManyRequests", {"retry-after": "7"}), "k"
    )

    assert isinstance(translated, RateLimitError)
    assert translated.reason == "http 429 (TooManyRequests)"
    assert translated.retry_after == 7.0


def test_s3_upload_failure_is_classified_by_the_client_error_behind_it() -> None:
    try:
        try:
            raise _client_error(403, "InvalidAccessKeyId")
        except ClientError as inner:
            raise S3UploadFailedError(f"Failed to upload: {inner}")  # noqa: B904 - as boto3 does
    except S3UploadFailedError as outer:
        translated = translate_s3_error(outer, "k")

    assert isinstance(translated, AuthenticationError)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_azure_status(404), NotFoundError),
        (_azure_status(403), AuthenticationError),
        (_azure_status(401), AuthenticationError),
        (_azure_status(503), ServiceUnavailableError),
        (_azure_status(504), ServiceUnavailableError),
        (_azure_status(409), PermanentError),
        (ServiceRequestError("refused"), NetworkError),
        (ServiceResponseTimeoutError("slow"), TimeoutException),
        (ValueError("bad connection string"), BadRequestError),
        (OSError("disk full"), InfrastructureError),
    ],
)
def test_azure_errors(error: Exception, expected: type[Exception]) -> None:
    assert type(translate_azure_error(error, "k")) is expected


def test_azure_not_found_class_maps_by_its_status() -> None:
    error = ResourceNotFoundError(message="gone")
    error.status_code = 404

    assert isinstance(translate_azure_error(error, "k"), NotFoundError)


def test_azure_retry_after_is_kept() -> None:
    translated = translate_azure_error(_azure_status(429, {"retry-after": "3"}), "k")

    assert isinstance(translated, RateLimitError)
    assert translated.retry_after == 3.0


def test_azure_download_read_loop_giving_up_is_a_network_error() -> None:
    try:
        try:
            raise IncompleteReadError(message="cut short")
        except IncompleteReadError as read_error:
            raise HttpResponseError(read_error, error=read_error) from read_error
    except HttpResponseError as wrapped:
        translated = translate_azure_error(wrapped, "k")

    assert isinstance(translated, NetworkError)


@pytest.mark.parametrize("translate", [translate_s3_error, translate_azure_error])
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionError("refused"), NetworkError),
        (ConnectionResetError(104, "reset by peer"), NetworkError),
        (BrokenPipeError(32, "broken pipe"), NetworkError),
        (socket.gaierror(-2, "name unknown"), NetworkError),
        (TimeoutError("timed out"), TimeoutException),
        (OSError(28, "no space left on device"), InfrastructureError),
    ],
)
def test_plain_network_errors_are_transient_and_local_io_is_infrastructure(
    translate: Any, error: Exception, expected: type[Exception]
) -> None:
    """A bare ConnectionError/TimeoutError is a network error: Tenacity's, never a task retry."""
    assert type(translate(error, "k")) is expected


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (ReadTimeoutError(endpoint_url="http://x"), TimeoutException),
        (TimeoutError("timed out"), TimeoutException),
        (ConnectionResetError(104, "reset"), NetworkError),
        (OSError(9, "bad file descriptor"), NetworkError),
        (BotoIncompleteReadError(actual_bytes=1, expected_bytes=2), NetworkError),
    ],
)
def test_a_transfer_that_gave_up_is_classified_by_its_cause(
    cause: Exception, expected: type[Exception]
) -> None:
    for wrapper in (TransferRetriesExceededError, Boto3RetriesExceededError):
        assert type(translate_s3_error(wrapper(cause), "k")) is expected
