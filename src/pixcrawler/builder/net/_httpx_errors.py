"""The httpx boundary: transport errors and error responses become PixCrawler's error types."""

import httpx

from pixcrawler.errors import (
    BadRequestError,
    NetworkError,
    PermanentError,
    PixCrawlerError,
    TimeoutException,
    classify_http_error,
)

_BAD_LOCATION = "Invalid URL in location header"


def classify_network_error(exc: Exception, *, url: str | None = None) -> PixCrawlerError:
    """Translate an httpx transport error into our hierarchy.

    Timeouts and transport failures are transient; malformed URLs, unsupported protocols and
    redirect loops are permanent because retrying sends the same broken request.
    """
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutException(f"timeout ({type(exc).__name__})", url=url)
    if isinstance(exc, httpx.TooManyRedirects):
        return BadRequestError("too many redirects", url=url)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return BadRequestError(f"bad url ({exc})", url=url)
    if isinstance(exc, httpx.RemoteProtocolError) and str(exc).startswith(_BAD_LOCATION):
        # httpx parses a redirect's Location while reading the response, even unfollowed; the
        # same server sends the same header next time, so this is permanent, not a network error.
        detail = str(exc).removeprefix(_BAD_LOCATION).strip(" :.")
        return BadRequestError(f"bad url (redirect Location: {detail})", url=url)
    if isinstance(exc, httpx.TransportError | OSError):
        return NetworkError(f"network error ({type(exc).__name__})", url=url)
    return PermanentError(f"unexpected {type(exc).__name__}: {exc}", url=url)


def classify_response(response: httpx.Response, *, url: str | None = None) -> PixCrawlerError:
    """:func:`classify_http_error` for an httpx response, reading a numeric ``Retry-After``."""
    value = response.headers.get("retry-after", "").strip()
    try:
        retry_after = float(value) if value else None
    except ValueError:  # An HTTP-date: rare for images; the exponential wait applies instead.
        retry_after = None
    return classify_http_error(response.status_code, url=url, retry_after=retry_after)
