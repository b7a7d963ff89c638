"""One error shape for every API answer: ``{"error": {"code", "message", "request_id"}}``.

Routes raise :class:`ApiError` (or let a PixCrawler error through, mapped here); anything else
becomes a logged 500 whose body says only ``internal_error``, never a stack trace.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pixcrawler.backend.api.context import current_request_id
from pixcrawler.backend.services import LimitExceeded
from pixcrawler.errors import (
    AuthenticationError,
    BadRequestError,
    InfrastructureError,
    NotFoundError,
    PixCrawlerError,
    PolicyError,
    RecordNotFoundError,
    TransientError,
)
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: Codes a client sees for plain HTTP statuses (route not found, method not allowed…).
_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited",
    503: "unavailable",
}  # fmt: skip


class ApiError(Exception):
    """An error answer: HTTP ``status``, a stable machine ``code`` and a one-line message."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


class BodyTooLarge(Exception):
    """The request body passed its cap while being read (a chunked body has no length)."""


def not_found(what: str) -> ApiError:
    """The 404 every missing *or someone else's* resource answers, so ids leak nothing."""
    return ApiError(404, "not_found", f"no such {what}")


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {"error": {"code": code, "message": message, "request_id": current_request_id()}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error answer in the one shape."""
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _from_library(exc: PixCrawlerError) -> ApiError:
    if isinstance(exc, RecordNotFoundError | NotFoundError):
        return ApiError(404, "not_found", exc.reason)
    if isinstance(exc, AuthenticationError):
        return ApiError(401, "unauthorized", exc.reason)
    if isinstance(exc, BadRequestError | PolicyError):
        return ApiError(400, "bad_request", exc.reason)
    if isinstance(exc, TransientError | InfrastructureError):
        return ApiError(503, "unavailable", "a backing service is unavailable; try again")
    return ApiError(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    async def limit_exceeded(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LimitExceeded)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return error_response(exc.status, "limit_exceeded", str(exc), headers)

    async def library_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PixCrawlerError)
        mapped = _from_library(exc)
        if mapped.status >= 500:
            logger.bind(error_type=type(exc).__name__, error=exc.reason).warning("request failed")
        return error_response(mapped.status, mapped.code, mapped.message)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, str(exc.detail), headers)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return error_response(422, "invalid_request", message)

    async def too_large(_: Request, exc: Exception) -> JSONResponse:
        return error_response(413, "payload_too_large", "request body too large")

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.bind(error_type=type(exc).__name__).opt(exception=exc).error("unhandled error")
        return error_response(500, "internal_error", "internal error")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(LimitExceeded, limit_exceeded)
    app.add_exception_handler(PixCrawlerError, library_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(Exception, unexpected)
