"""ASGI middleware: request id and log context, security headers, body-size limit, latency.

Pure ASGI (no ``BaseHTTPMiddleware``), so streamed downloads and SSE pass through unbuffered.
"""

import re
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixcrawler.backend.api.context import reset_request_id, set_request_id
from pixcrawler.backend.api.problems import BodyTooLarge, error_response
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: A client's own request id is echoed if it looks like one (no header injection, no log spam).
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
]
#: The docs page loads its script and styles from a CDN; every other answer may load nothing.
_CSP_API = b"default-src 'none'; frame-ancestors 'none'"
_CSP_DOCS = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    b"https://fastapi.tiangolo.com; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    """Give each request an id (``X-Request-ID`` accepted or made), bind it into every log line,
    echo it, add security headers, cap the body, and time the request."""

    def __init__(self, app: ASGIApp, *, max_body: int, upload_max_body: int,
                 observe: Callable[[Scope, int, float], None]) -> None:  # fmt: skip
        self.app, self.max_body, self.upload_max_body = app, max_body, upload_max_body
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = set_request_id(request_id)
        started, status = time.perf_counter(), 500
        try:
            with logger.contextualize(request_id=request_id):
                status = await self._serve(scope, receive, send, request_id)
        finally:
            reset_request_id(token)
            self.observe(scope, status, time.perf_counter() - started)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> int:
        cap = self.upload_max_body if scope["path"].endswith("/uploads") else self.max_body
        status = 500
        docs = scope["path"] in ("/docs", "/redoc")

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
                # A page that states its own policy (the dashboard's) keeps it.
                if not any(name == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", _CSP_DOCS if docs else _CSP_API))
                message["headers"] = headers
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await self._too_large(scope, receive, send_with_headers, cap)
            return 413
        try:
            await self.app(scope, _capped(receive, cap), send_with_headers)
        except BodyTooLarge:
            await self._too_large(scope, receive, send_with_headers, cap)
            return 413
        return status

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        response = error_response(413, "payload_too_large", f"request body over {cap} bytes")
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = str(value.decode("latin-1"))
            if _ACCEPTED_ID.match(given):
                return given
    return secrets.token_hex(16)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _capped(receive: Receive, cap: int) -> Receive:
    """``receive`` that raises :class:`BodyTooLarge` once more than ``cap`` bytes arrived (a
    chunked body has no Content-Length to check up front)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise BodyTooLarge
        return message

    return wrapped
