"""The dashboard's calls to ``/api/v1``: made in-process on the serving app, as the signed-in user.

A page asks the same API a script would, with the user's token as ``Authorization: Bearer``, so
sign-in, ownership, limits and errors are decided in one place. The call runs the app's ASGI
callable directly (no socket); :func:`forward` streams the answer through unchanged, which is
how downloads, thumbnails and the progress event stream reach the browser.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Message

API_PREFIX = "/api/v1"
#: Headers of an API answer that a forwarded download keeps; the rest are the app's own.
_FORWARDED_HEADERS = frozenset(
    {"content-type", "content-disposition", "content-length", "cache-control", "location", "etag"}
)


class ApiFailure(Exception):
    """An API error answer: its HTTP status, machine code and one-line message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class _Exchange:
    """One request's ASGI plumbing: the app's task and the messages it sends."""

    task: "asyncio.Task[None]"
    messages: "asyncio.Queue[Message]"
    finished: asyncio.Event


class Api:
    """``/api/v1`` on the app serving ``request``, called with ``token`` as the Bearer."""

    def __init__(self, request: Request, token: str) -> None:
        self._request, self._token = request, token

    async def get(self, path: str, **params: Any) -> Any:
        """The JSON answer of ``GET path``.

        Raises:
            ApiFailure: the API answered with an error.
        """
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: Any = None) -> Any:
        """The JSON answer of ``POST path`` with ``body`` as JSON (none when None)."""
        payload = b"" if body is None else json.dumps(body).encode()
        return await self.call("POST", path, payload=payload, content_type="application/json")

    async def upload(self, path: str, field: str, filename: str, data: bytes) -> Any:
        """``POST path`` with one file as ``multipart/form-data`` field ``field``."""
        boundary = "pixcrawler-dashboard-upload"
        safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{safe_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        payload = head + data + f"\r\n--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        return await self.call("POST", path, payload=payload, content_type=content_type)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        payload: bytes = b"",
        content_type: str | None = None,
    ) -> Any:
        """The decoded JSON answer of one call (None for an empty body)."""
        exchange = self._start(method, path, params or {}, payload, content_type)
        start = await _first_message(exchange)
        body = b"".join([chunk async for chunk in _body(exchange)])
        status = int(start["status"])
        decoded = json.loads(body) if body.strip() else None
        if status >= 400:
            error = (decoded or {}).get("error", {}) if isinstance(decoded, dict) else {}
            raise ApiFailure(status, error.get("code", "error"), error.get("message", "failed"))
        return decoded

    async def forward(self, path: str, **params: Any) -> StreamingResponse:
        """``GET path`` answered to the browser as the API answers it, streamed."""
        exchange = self._start("GET", path, params, b"", None)
        start = await _first_message(exchange)
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in start.get("headers", [])
            if name.decode("latin-1").lower() in _FORWARDED_HEADERS
        }
        return StreamingResponse(_body(exchange), status_code=int(start["status"]), headers=headers)

    def _start(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any],
        payload: bytes,
        content_type: str | None,
    ) -> _Exchange:
        headers = [(b"authorization", f"Bearer {self._token}".encode())]
        if content_type is not None:
            headers.append((b"content-type", content_type.encode()))
        headers.append((b"content-length", str(len(payload)).encode()))
        request_id = self._request.headers.get("x-request-id")
        if request_id:
            headers.append((b"x-request-id", request_id.encode()))
        full_path, outer = API_PREFIX + path, self._request.scope
        query = {name: value for name, value in params.items() if value not in (None, "")}
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": self._request.url.scheme, "path": full_path,
            "raw_path": full_path.encode(), "root_path": "", "headers": headers,
            "query_string": urlencode(query, doseq=True).encode(),
            "client": outer.get("client"), "server": outer.get("server"),
            "state": dict(outer.get("state", {})),
        }  # fmt: skip
        return _run(self._request.app, scope, payload)


def _run(app: ASGIApp, scope: dict[str, Any], payload: bytes) -> _Exchange:
    messages: asyncio.Queue[Message] = asyncio.Queue(maxsize=16)
    finished = asyncio.Event()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        # After the body the app only listens for a disconnect: that is the reader going away.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await messages.put(message)

    task = asyncio.ensure_future(app(scope, receive, send))
    return _Exchange(task, messages, finished)


async def _first_message(exchange: _Exchange) -> Message:
    """The ``http.response.start`` message; an app that fails before it raises its error."""
    getter = asyncio.ensure_future(exchange.messages.get())
    await asyncio.wait({getter, exchange.task}, return_when=asyncio.FIRST_COMPLETED)
    if not getter.done():
        getter.cancel()
        exchange.task.result()  # re-raises the app's error
        raise ApiFailure(500, "internal_error", "the API sent no answer")
    return getter.result()


async def _body(exchange: _Exchange) -> AsyncIterator[bytes]:
    try:
        while True:
            message = await exchange.messages.get()
            if message["type"] != "http.response.body":
                continue
            yield message.get("body", b"")
            if not message.get("more_body", False):
                break
        await exchange.task
    finally:
        exchange.finished.set()
        if not exchange.task.done():
            exchange.task.cancel()
