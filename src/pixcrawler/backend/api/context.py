"""The current request's id, readable anywhere while the request is served (a context variable)."""

from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request being served; empty outside a request."""
    return _request_id.get()


def set_request_id(value: str) -> object:
    """Make ``value`` the current request id; returns the token :func:`reset_request_id` takes."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    """Restore the request id that was current before :func:`set_request_id`."""
    _request_id.reset(token)  # type: ignore[arg-type]
