"""The ``pixcrawler`` command line: a thin shell over the library."""

import gc
import sys

import pydantic
import typer

from pixcrawler.cli import build as _build  # noqa: F401 - registers the command
from pixcrawler.cli import engines as _engines  # noqa: F401 - registers the commands
from pixcrawler.cli import folders as _folders  # noqa: F401 - registers the commands
from pixcrawler.cli import jobs as _jobs  # noqa: F401 - registers the commands
from pixcrawler.cli import jobs_dataset as _jobs_dataset  # noqa: F401 - registers the commands
from pixcrawler.cli import package as _package  # noqa: F401 - registers the commands
from pixcrawler.cli import remote as _remote  # noqa: F401 - registers the commands
from pixcrawler.cli import serve as _serve  # noqa: F401 - registers the command
from pixcrawler.cli._common import app, console, fail
from pixcrawler.cli._extras import missing_extra_message
from pixcrawler.config import get_settings
from pixcrawler.errors import DatabaseConnectionError
from pixcrawler.utility.logging_config import configure_logging

_LEVELS = {"TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"}


@app.callback()
def main_options(
    log_level: str = typer.Option("", help="DEBUG, INFO, WARNING, ERROR."),
    log_format: str = typer.Option("", help="console or json."),
) -> None:
    """Configure logging once for every command."""
    try:
        settings = get_settings()
    except pydantic.ValidationError as exc:
        fail(_settings_error(exc))
    level = (log_level or settings.log_level).upper()
    if level not in _LEVELS:
        fail(f"unknown log level {log_level!r}")
    fmt = log_format or settings.log_format
    if fmt not in {"console", "json"}:
        fail(f"unknown log format {log_format!r} (use console or json)")
    configure_logging(level=level, fmt=fmt, development=settings.environment == "development")


def _settings_error(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    if not first["loc"]:  # a rule between settings names them itself
        return f"invalid settings: {first['msg'].removeprefix('Value error, ')}"
    name = "PIXCRAWLER_" + "_".join(str(part) for part in first["loc"]).upper()
    return f"invalid setting {name}: {first['msg']}"


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except ModuleNotFoundError as exc:
        message = missing_extra_message(exc)
        if message is None:
            raise
        try:
            fail(message)
        except typer.Exit as stop:
            sys.exit(stop.exit_code)
    except DatabaseConnectionError as exc:  # any command that needs the job database
        try:
            fail(f"job database unavailable: {exc.reason}", 1)
        except typer.Exit as exit_:
            sys.exit(exit_.exit_code)
    finally:
        # The command is done: the collector's pass over a large heap (a build's records,
        # SQLAlchemy, Celery) at interpreter exit would only delay the prompt.
        gc.freeze()


__all__ = ["app", "main"]
