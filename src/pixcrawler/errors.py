"""PixCrawler's error classes: every failure is either permanent or transient.

Retry rules are written against these types only; lower-level errors (httpx, Pillow, SQLAlchemy)
are translated at the boundary and raised ``from`` the original.

Hierarchy::

    PixCrawlerError
    ├── PermanentError               never retried: the same request gives the same answer
    │   ├── ValidationError          the bytes are not an acceptable image
    │   ├── NotFoundError            HTTP 404 / 410
    │   ├── AuthenticationError      HTTP 401 / 403
    │   ├── BadRequestError          HTTP 400, malformed or refused URL
    │   ├── PolicyError              refused by our own rules (private network, noai, too big)
    │   ├── RecordNotFoundError      no such job or chunk row (raised by ``backend/db``)
    │   └── JobNotCompletedError     a check asked of a job that is not completed
    ├── TransientError               retried by the one Tenacity layer (3 attempts)
    │   ├── RateLimitError           HTTP 429, carries Retry-After
    │   ├── ServiceUnavailableError  HTTP 503 / 504
    │   ├── TimeoutException         connect/read/total deadline exceeded
    │   └── NetworkError             connection refused/reset, DNS failure, broken stream
    └── InfrastructureError          our own machinery failed; a Celery task retries (max 3, 60 s)
        └── DatabaseConnectionError  the job database is unreachable (SQLAlchemy connect errors)

``MemoryError`` (built in) is treated as infrastructure too: the next worker may have room.
"""


class PixCrawlerError(Exception):
    """Base class of every error PixCrawler raises on purpose.

    Attributes:
        reason: a short manifest-ready phrase ("http 404", "timeout").
        url: the resource that failed, when there is one.
        attempts: HTTP requests spent before giving up (set by the downloader).
    """

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.attempts = 0


class PermanentError(PixCrawlerError):
    """Retrying cannot help: the server or our rules said no for good."""


class ValidationError(PermanentError):
    """The payload is not an image we accept; the same bytes fail the same way every time."""


class NotFoundError(PermanentError):
    """404/410: the resource does not exist; asking again only costs the host a request."""


class AuthenticationError(PermanentError):
    """401/403: we lack credentials or are refused; retrying without new ones is abuse."""


class BadRequestError(PermanentError):
    """400 or a malformed URL: our request is wrong, so it stays wrong."""


class PolicyError(PermanentError):
    """Our own rules refuse the resource (private address, noai, size limit, content type)."""


class RecordNotFoundError(PermanentError, LookupError):
    """A job or chunk id names no row; asking again gives the same answer (permanent)."""


class JobNotCompletedError(PermanentError):
    """Only a completed job's dataset is checked (``jobs validate``, ``jobs check``): a job
    still running is changing, a failed or cancelled one has no finished dataset."""


class TransientError(PixCrawlerError):
    """The failure depends on timing or load; a later attempt may succeed."""


class RateLimitError(TransientError):
    """429: the host asks us to slow down; ``retry_after`` is its hint in seconds, if any."""

    def __init__(self, reason: str, *, url: str | None = None, retry_after: float | None = None):
        super().__init__(reason, url=url)
        self.retry_after = retry_after


class ServiceUnavailableError(TransientError):
    """503/504: the host or its gateway is overloaded or restarting."""


class TimeoutException(TransientError):
    """A connect, read or total deadline passed; the host may answer next time."""


class NetworkError(TransientError):
    """Connection refused or reset, DNS failure, a stream cut short."""


class InfrastructureError(PixCrawlerError):
    """Not the resource's fault: our database, disk or memory failed under the task.

    Neither permanent nor a network error: the task layer retries it (``self.retry``), since a
    minute later another worker or a recovered database usually succeeds.
    """


class DatabaseConnectionError(InfrastructureError):
    """The job database refused or dropped the connection (raised by the DB layer)."""


_PERMANENT_BY_STATUS: dict[int, type[PermanentError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    410: NotFoundError,
}
_TRANSIENT_BY_STATUS: dict[int, type[TransientError]] = {
    429: RateLimitError,
    503: ServiceUnavailableError,
    504: ServiceUnavailableError,
}

#: Status codes the retry layer may try again; every other error status is permanent.
TRANSIENT_STATUSES = frozenset(_TRANSIENT_BY_STATUS)


def classify_http_error(
    status: int, *, url: str | None = None, retry_after: float | None = None
) -> PixCrawlerError:
    """Map an HTTP error status to its error instance (not raised).

    Only 429, 503 and 504 are transient. Every other error status, 500 included, is permanent:
    a server that fails the same request with 500 usually does so every time, and one retry
    layer is all we allow.
    """
    reason = f"http {status}"
    if status == 429:
        return RateLimitError(reason, url=url, retry_after=retry_after)
    transient = _TRANSIENT_BY_STATUS.get(status)
    if transient is not None:
        return transient(reason, url=url)
    return _PERMANENT_BY_STATUS.get(status, PermanentError)(reason, url=url)
