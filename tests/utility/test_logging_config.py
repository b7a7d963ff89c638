"""Centralised logging: JSON lines with bound context, stdlib interception, one import point."""

import io
import json
import logging
import re
from pathlib import Path

import pytest
from loguru import logger

from pixcrawler.utility.logging_config import configure_logging, get_logger

SRC = Path(__file__).resolve().parents[2] / "src" / "pixcrawler"


@pytest.fixture
def json_stream() -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", sink=stream)
    yield stream
    logger.remove()


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line)["record"] for line in stream.getvalue().splitlines()]


def test_get_logger_binds_module_name(json_stream: io.StringIO) -> None:
    get_logger("pixcrawler.demo").info("hello")
    (record,) = _records(json_stream)
    assert record["extra"]["module"] == "pixcrawler.demo"  # type: ignore[index]


def test_context_is_structured_not_spliced(json_stream: io.StringIO) -> None:
    log = get_logger("pixcrawler.demo")
    with logger.contextualize(job_id="job-1"):
        log.bind(operation="image_download", url="http://h/x").warning("retrying")
    (record,) = _records(json_stream)
    assert record["message"] == "retrying"
    extra = record["extra"]
    assert extra["job_id"] == "job-1"  # type: ignore[index]
    assert extra["operation"] == "image_download"  # type: ignore[index]


def test_stdlib_logging_is_intercepted(json_stream: io.StringIO) -> None:
    logging.getLogger("some.library").warning("from stdlib")
    (record,) = _records(json_stream)
    assert record["message"] == "from stdlib"
    assert record["extra"]["stdlib"] == "some.library"  # type: ignore[index]


def test_console_format_appends_context() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="console", sink=stream)
    get_logger("pixcrawler.demo").bind(job_id="j9").info("started")
    logger.remove()
    assert re.search(r"started\s+job_id=j9", stream.getvalue())


def test_no_module_outside_logging_config_imports_stdlib_logging() -> None:
    offenders = [
        path.relative_to(SRC)
        for path in SRC.rglob("*.py")
        if "logging_config" not in path.parts
        and re.search(r"^\s*(import logging|from logging import)", path.read_text(), re.M)
    ]
    assert offenders == []
