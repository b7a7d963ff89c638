"""Translate Azure SDK and botocore exceptions into PixCrawler's error hierarchy.

Network failures (timeouts, resets, refused connections, DNS) are transient whatever wraps
them — an SDK class, a plain ``ConnectionError`` or ``TimeoutError``, s3transfer's
``RetriesExceededError`` — so the Tenacity policy alone retries them; only local I/O errors
are infrastructure (a task retry). ``MemoryError`` never gets here (``_calls.py``).
"""

import socket
from collections.abc import Mapping

from azure.core.exceptions import (
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from boto3.exceptions import RetriesExceededError as Boto3RetriesExceededError
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import (
    IncompleteReadError as BotoIncompleteReadError,
)
from s3transfer.exceptions import RetriesExceededError as TransferRetriesExceededError

from pixcrawler.backend.storage._azure_transport import BodyReadError
from pixcrawler.errors import (
    AuthenticationError,
    BadRequestError,
    InfrastructureError,
    NetworkError,
    PermanentError,
    PixCrawlerError,
    TimeoutException,
    classify_http_error,
)

#: (SDK exception types, our class, reason prefix); the first matching row wins.
_ErrorTable = tuple[tuple[tuple[type[Exception], ...], type[PixCrawlerError], str], ...]

_AZURE_BY_TYPE: _ErrorTable = (
    ((ServiceRequestTimeoutError, ServiceResponseTimeoutError), TimeoutException, "timeout"),
    (
        (ServiceRequestError, ServiceResponseError, IncompleteReadError),
        NetworkError,
        "network error",
    ),
)
_S3_BY_TYPE: _ErrorTable = (
    ((ConnectTimeoutError, ReadTimeoutError), TimeoutException, "timeout"),
    (
        (BotoConnectionError, HTTPClientError, BotoIncompleteReadError, ResponseStreamingError),
        NetworkError,
        "network error",
    ),
    ((NoCredentialsError, PartialCredentialsError), AuthenticationError, "no credentials"),
    ((ParamValidationError,), BadRequestError, "bad request"),
)

#: Plain Python network errors, raised by any SDK's lower layers (checked before ``OSError``).
_BUILTIN_BY_TYPE: _ErrorTable = (
    ((TimeoutError,), TimeoutException, "timeout"),
    ((ConnectionError, socket.gaierror), NetworkError, "network error"),
)
#: s3transfer gives up on a body only after these (its retryable download errors).
_TRANSFER_GAVE_UP = (TransferRetriesExceededError, Boto3RetriesExceededError)


def translate_azure_error(error: Exception, key: str) -> PixCrawlerError:
    """Map an azure-core exception (status or transport failure) to our error type."""
    if isinstance(error, BodyReadError) and isinstance(error.__cause__, Exception):
        error = error.__cause__  # a cut body: classified by what cut it (always transient)
        if isinstance(error, HttpResponseError) and not error.status_code:
            return NetworkError(f"network error (body read: {type(error).__name__})", url=key)
    by_type = _by_type(error, key, _AZURE_BY_TYPE)
    if by_type is not None:
        return by_type
    if isinstance(error, HttpResponseError):
        return _azure_status(error, key)
    if isinstance(error, ValueError):
        return BadRequestError(f"bad request ({error})", url=key)
    return _unexpected(error, key)


def translate_s3_error(error: Exception, key: str) -> PixCrawlerError:
    """Map a botocore/boto3 exception (status or transport failure) to our error type."""
    if isinstance(error, S3UploadFailedError) and isinstance(error.__context__, ClientError):
        error = error.__context__  # boto3 flattens the ClientError into a message; use the original
    cause = getattr(error, "last_exception", None) if isinstance(error, _TRANSFER_GAVE_UP) else None
    if isinstance(cause, Exception):
        return _transfer_cause(cause, key)
    if isinstance(error, ClientError):
        return _s3_status(error, key)
    return _by_type(error, key, _S3_BY_TYPE) or _unexpected(error, key)


def _transfer_cause(cause: Exception, key: str) -> PixCrawlerError:
    """The error s3transfer gave up on (with ``num_download_attempts=1``, after one try).

    It only retries body reads that broke (socket errors, timeouts, cut streams), so its cause
    is a network failure even when it is a bare ``OSError``; anything else is classified as is.
    """
    translated = translate_s3_error(cause, key)
    if isinstance(translated, InfrastructureError) and isinstance(cause, OSError):
        return NetworkError(f"network error (body read: {type(cause).__name__})", url=key)
    return translated


def _by_type(error: Exception, key: str, table: _ErrorTable) -> PixCrawlerError | None:
    for types, kind, reason in table:
        if isinstance(error, types):
            return kind(f"{reason} ({type(error).__name__})", url=key)
    return None


def _azure_status(error: HttpResponseError, key: str) -> PixCrawlerError:
    if error.status_code:
        headers: Mapping[str, str] = getattr(error.response, "headers", None) or {}
        code = str(getattr(error, "error_code", None) or "")
        return _classify(error.status_code, key, headers.get("retry-after"), code)
    if isinstance(error.__cause__, ServiceResponseError | IncompleteReadError):
        # The download stream's own read loop wraps the read failure it gave up on.
        return NetworkError("network error (incomplete read)", url=key)
    return PermanentError(f"azure {type(error).__name__}: {error}", url=key)


def _s3_status(error: ClientError, key: str) -> PixCrawlerError:
    metadata = error.response.get("ResponseMetadata", {})
    status = int(metadata.get("HTTPStatusCode", 0))
    code = error.response.get("Error", {}).get("Code", "")
    if not status and code.isdigit():
        status = int(code)
    retry_after = metadata.get("HTTPHeaders", {}).get("retry-after")
    return _classify(status or 400, key, retry_after, "" if code.isdigit() else code)


def _classify(status: int, key: str, retry_after: str | None, code: str) -> PixCrawlerError:
    """``classify_http_error``, with the service's error code appended: "http 403 (AuthFailure)"."""
    try:
        seconds = float(retry_after) if retry_after else None
    except ValueError:
        seconds = None
    error = classify_http_error(status, url=key, retry_after=seconds)
    if code:
        error.reason = f"{error.reason} ({code})"
        error.args = (error.reason,)
    return error


def _unexpected(error: Exception, key: str) -> PixCrawlerError:
    """A non-SDK error: a network error is transient, other local I/O trouble infrastructure,
    anything else a permanent bug."""
    by_type = _by_type(error, key, _BUILTIN_BY_TYPE)
    if by_type is not None:
        return by_type
    if isinstance(error, OSError):
        return InfrastructureError(f"local i/o error ({type(error).__name__}: {error})", url=key)
    return PermanentError(f"unexpected {type(error).__name__}: {error}", url=key)
