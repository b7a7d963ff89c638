"""Run one storage SDK call under the network retry policy, translating its errors first."""

from collections.abc import Callable
from typing import TypeVar

from pixcrawler.errors import PixCrawlerError, TransientError
from pixcrawler.retry import NETWORK_RETRY_SYNC, Attempts
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

T = TypeVar("T")
#: Maps an SDK exception (and the key it concerned) to our hierarchy.
Translate = Callable[[Exception, str], PixCrawlerError]


def call_with_retry(operation: str, key: str, call: Callable[[], T], translate: Translate) -> T:
    """Run ``call`` with retries on transient failures; raise a translated PixCrawler error.

    The SDKs' own retries are switched off by the providers, so the attempts counted here
    (set on the raised error as ``attempts``) are all the requests that were sent.
    ``MemoryError`` is not translated: it is the task layer's to retry (infrastructure).
    """
    sent = Attempts()
    try:
        return _attempt(call, key, translate, sent)
    except PixCrawlerError as error:
        error.attempts = sent.count
        _log_failure(operation, key, error)
        raise


@NETWORK_RETRY_SYNC
def _attempt(call: Callable[[], T], key: str, translate: Translate, sent: Attempts) -> T:
    """One SDK call: the unit the retry policy repeats."""
    sent.count += 1
    try:
        return call()
    except (PixCrawlerError, MemoryError):  # out of memory is infrastructure: the task retries
        raise
    except Exception as error:
        raise translate(error, key) from error


def _log_failure(operation: str, key: str, error: PixCrawlerError) -> None:
    bound = logger.bind(
        operation=operation,
        key=key,
        resource_id=key,
        error_type=type(error).__name__,
        attempts=error.attempts,
        retry_count=max(0, error.attempts - 1),
    )
    if isinstance(error, TransientError):
        bound.warning("storage call failed after retries")
    else:
        bound.debug("storage call failed")
