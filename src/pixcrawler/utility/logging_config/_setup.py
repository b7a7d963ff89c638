"""loguru sinks, formats and the ``get_logger`` accessor."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger

from pixcrawler.utility.logging_config._intercept import intercept_stdlib, stdlib_level

if TYPE_CHECKING:
    from loguru import Logger

_NOISY_STDLIB = (
    "httpx", "httpcore", "asyncio", "PIL", "urllib3", "filelock", "fsspec", "alembic",
    "azure", "botocore", "boto3", "s3transfer",
)  # fmt: skip
_HUMAN_FORMAT = (
    "<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> "
    "<cyan>{extra[module]}</cyan> {message}{extra[_context]}"
)


class _State:
    configured = False
    #: ``configure_logging`` arguments in force, for child processes.
    options: dict[str, Any] | None = None


_state = _State()

# A library must stay silent until an application opts in (loguru's advice for libraries).
logger.disable("pixcrawler")


class LogFormat(StrEnum):
    """Output styles: ``console`` for people, ``json`` (one object a line) for machines."""

    CONSOLE = "console"
    JSON = "json"


def get_logger(name: str) -> "Logger":
    """Return the shared loguru logger bound with the calling module's name."""
    return logger.bind(module=name)


def is_configured() -> bool:
    """Whether an entry point has already called :func:`configure_logging`."""
    return _state.configured


def current_options() -> dict[str, Any] | None:
    """The keyword arguments of the active configuration, for a child process to repeat.

    A stream sink cannot cross processes, so a child logs to its own stderr instead.
    """
    return _state.options


def _context_suffix(record: Any) -> None:
    """Render bound context (job_id=..., url=...) after the message for human output."""
    extra = {k: v for k, v in record["extra"].items() if k not in {"module", "_context"}}
    record["extra"]["_context"] = (
        "  " + " ".join(f"{k}={v}" for k, v in extra.items()) if extra else ""
    )
    record["extra"].setdefault("module", record["name"])


def configure_logging(
    *,
    level: str = "INFO",
    fmt: LogFormat | str = LogFormat.CONSOLE,
    sink: TextIO | Path | None = None,
    development: bool = False,
) -> None:
    """Configure loguru once for an entry point; calling it again reconfigures.

    Args:
        level: minimum level name (``DEBUG``, ``INFO``, ...).
        fmt: ``console`` (coloured, context appended) or ``json`` (loguru's serialised records).
        sink: a stream or file path; stderr by default so stdout stays free for results.
        development: when true, tracebacks show variable values (``diagnose``). Never in
            production, where values may carry secrets.
    """
    fmt = LogFormat(fmt)
    logger.remove()
    logger.enable("pixcrawler")
    logger.configure(patcher=_context_suffix)
    target: TextIO | Path = sink if sink is not None else sys.stderr
    if fmt is LogFormat.JSON:
        logger.add(target, level=level.upper(), serialize=True, diagnose=development)
    else:
        colorize = not isinstance(target, Path) and target.isatty()
        logger.add(
            target,
            level=level.upper(),
            format=_HUMAN_FORMAT,
            colorize=colorize,
            diagnose=development,
        )
    intercept_stdlib(stdlib_level(level), _NOISY_STDLIB)
    _state.configured = True
    _state.options = {
        "level": level,
        "fmt": str(fmt),
        "development": development,
        "sink": sink if isinstance(sink, Path) else None,
    }
