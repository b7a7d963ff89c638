"""Run one storage SDK call under the network retry policy, translating its errors first."""

from collections.abc import Callable
from typing import TypeVar

from pixcrawler.errors import PixCrawlerError, TransientError
from pixcrawler.retry import network_retrying_sync
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

T = TypeVar("T")
#: Maps an SDK exception (and the key it concerned) to our hierarchy.
Translate = Callable[[Exception, str], PixCrawlerError]


def call_with_retry(operation: str, key: str, call: Callable[[], T], translate: Translate) -> T:
    """Run ``call`` with retries on transient failures; raise a translated PixCrawler error.

    The SDKs' own retries are switched off by the providers, so the attempts counted here
    (set on the raised error as ``attempts``) are all the requests that were sent.
    """
    retrying = network_retrying_sync()

    def attempt() -> T:
        try:
            return call()
        except PixCrawlerError:
            raise
        except Exception as error:
            raise translate(error, key) from error

    try:
        return retrying(attempt)
    except PixCrawlerError as error:
        error.attempts = int(retrying.statistics.get("attempt_number", 1))
        _log_failure(operation, key, error)
        raise


def _log_failure(operation: str, key: str, error: PixCrawlerError) -> None:
    bound = logger.bind(
        operation=operation, key=key, error_type=type(error).__name__, attempts=error.attempts
    )
    if isinstance(error, TransientError):
        bound.warning("storage call failed after retries")
    else:
        bound.debug("storage call failed")
