"""The client's exceptions, one per API error code.

Hierarchy::

    ApiError                     any error answer: status, code, message, request_id
    ├── Unauthorized             401 unauthorized
    ├── Forbidden                403 forbidden / limit_exceeded (images per job)
    ├── NotFound                 404 not_found
    ├── Conflict                 409 conflict
    ├── InvalidRequest           400 / 413 / 415 / 422
    ├── RateLimited              429 (``retry_after`` in seconds; transient, retried)
    └── Unavailable              503 / 504 (transient, retried)
"""

from typing import Any

from pixcrawler.errors import TransientError


class ApiError(Exception):
    """An error answer from the PixCrawler API."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "") -> None:
        super().__init__(f"{code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


class Unauthorized(ApiError):
    """No valid credentials."""


class Forbidden(ApiError):
    """The key's scope or a per-user limit refuses it."""


class NotFound(ApiError):
    """No such resource (or not yours)."""


class Conflict(ApiError):
    """The job cannot do that now."""


class InvalidRequest(ApiError):
    """The request was refused as malformed, too large or invalid."""


class RateLimited(ApiError, TransientError):
    """429: slow down; ``retry_after`` is the server's hint."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "",
                 retry_after: float | None = None) -> None:  # fmt: skip
        ApiError.__init__(self, status, code, message, request_id)
        self.reason, self.url, self.attempts = f"http {status}", None, 0
        self.retry_after = retry_after


class Unavailable(ApiError, TransientError):
    """503/504: a backing service is down; retried."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "") -> None:
        ApiError.__init__(self, status, code, message, request_id)
        self.reason, self.url, self.attempts = f"http {status}", None, 0


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    413: InvalidRequest, 415: InvalidRequest, 422: InvalidRequest, 503: Unavailable,
    504: Unavailable,
}  # fmt: skip


def error_for(status: int, body: Any, retry_after: str | None) -> ApiError:
    """The exception an error answer stands for."""
    detail = body.get("error", {}) if isinstance(body, dict) else {}
    code = str(detail.get("code", "error"))
    message = str(detail.get("message", f"http {status}"))
    request_id = str(detail.get("request_id", ""))
    if status == 429:
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        return RateLimited(status, code, message, request_id, retry_after=wait)
    kind = _BY_STATUS.get(status, ApiError)
    return kind(status, code, message, request_id)
