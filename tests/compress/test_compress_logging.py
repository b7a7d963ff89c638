"""Compression is a critical operation: its start, end and failures are logged with context."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from pixcrawler.utility.compress import PackagingError, package_dataset, verify_archive


@pytest.fixture
def records() -> Iterator[list[dict[str, Any]]]:
    caught: list[dict[str, Any]] = []
    logger.enable("pixcrawler")
    handler = logger.add(lambda message: caught.append(message.record), level="DEBUG")
    yield caught
    logger.remove(handler)
    logger.disable("pixcrawler")


def compression(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        record["message"]: record["extra"]
        for record in records
        if record["extra"].get("operation") == "compression"
    }


def test_start_and_end_carry_dataset_format_counts_and_duration(
    dataset: Path, records: list[dict[str, Any]]
) -> None:
    result = package_dataset(dataset, fmt="tar.zst")
    verify_archive(result.path)

    logged = compression(records)
    started, finished = logged["packaging started"], logged["packaging finished"]
    assert started["dataset"] == str(dataset) and started["format"] == "tar.zst"
    assert started["files"] == result.files
    assert finished["bytes_in"] == result.bytes_in
    assert finished["bytes_out"] == result.bytes_out
    assert finished["seconds"] >= 0
    assert logged["archive verified"]["ok"] is True


def test_failure_logs_the_error_type(dataset: Path, records: list[dict[str, Any]]) -> None:
    (dataset / "images" / "cat" / "ffffffffffffffffffff.png").write_bytes(b"broken")

    with pytest.raises(PackagingError):
        package_dataset(dataset, fmt="zip", recompress="webp")

    failed = compression(records)["packaging failed"]
    assert failed["error_type"] == "PackagingError"
    assert failed["format"] == "zip"
