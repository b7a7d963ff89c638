"""Route records from stdlib ``logging`` (httpx, asyncio, uvicorn, celery) into loguru."""

import inspect
import logging

from loguru import logger


class InterceptHandler(logging.Handler):
    """A stdlib handler that re-emits every record through loguru, keeping the caller's depth."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame, depth = inspect.currentframe(), 0
        while frame and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).bind(stdlib=record.name).log(
            level, record.getMessage()
        )


def intercept_stdlib(level: int, noisy: tuple[str, ...]) -> None:
    """Replace every stdlib root handler by :class:`InterceptHandler`.

    ``noisy`` loggers (httpx logs one INFO line per request) are raised to WARNING so a
    build of thousands of images does not drown the useful lines.
    """
    logging.basicConfig(handlers=[InterceptHandler()], level=level, force=True)
    for name in noisy:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def stdlib_level(name: str) -> int:
    """The stdlib numeric level for a loguru level name (``SUCCESS`` and ``TRACE`` map nearby)."""
    mapping = logging.getLevelNamesMapping()
    return mapping.get(name.upper(), logging.INFO)
