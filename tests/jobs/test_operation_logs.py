"""Seed R5 on real runs: each critical operation's lines carry user_id, job_id and operation,
and its error lines error_type, resource_id and retry_count (docs/LOGGING_GUIDE.md).

One local build (fetch processes logging to the same JSON file) then ``pixcrawler package``,
and one distributed job on a real worker (its JSON log) with the client's own lines.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

from loguru import logger
from typer.testing import CliRunner

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.cli import app
from pixcrawler.config import Settings
from pixcrawler.records import Candidate
from pixcrawler.utility.logging_config import configure_logging, local_user
from support.deployment import Deployment, wait_for
from support.images import ImageSet, truncated
from support.server import FixtureServer

OPERATIONS = ("job_creation", "image_download", "validation", "export", "compression")
ERROR_FIELDS = ("error_type", "resource_id", "retry_count")


def _records(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line)["record"] for line in lines if line.startswith("{")]


def _by_operation(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in OPERATIONS}
    for record in records:
        operation = record["extra"].get("operation")
        if operation in grouped:
            grouped[operation].append(record["extra"])
    return grouped


def _check(grouped: dict[str, list[dict[str, Any]]], user_id: object, job_id: str) -> None:
    for operation, lines in grouped.items():
        assert lines, f"no {operation} line"
        for extra in lines:
            assert (extra["user_id"], extra["job_id"]) == (user_id, job_id), (operation, extra)
            if "error_type" in extra:
                assert all(extra.get(field) is not None for field in ERROR_FIELDS), extra
    for operation in ("image_download", "validation"):  # a 404 and a truncated image
        assert any("error_type" in extra for extra in grouped[operation]), operation


def _candidates(server: FixtureServer, images: ImageSet) -> list[Candidate]:
    ok = [server.add(server.unique_path(f"ok{i}.jpg"), images.jpegs[i]) for i in range(3)]
    cut = server.add(server.unique_path("cut.jpg"), truncated(images.jpegs[5]))
    missing = server.base_url + server.unique_path("gone.jpg")  # no route: 404
    return [Candidate(url, "cats") for url in (*ok, cut, missing)]


def test_a_local_build_and_its_packaging_log_every_operation_with_context(
    server: FixtureServer, images: ImageSet, tmp_path: Path
) -> None:
    log_file = tmp_path / "build.jsonl"
    configure_logging(level="DEBUG", fmt="json", sink=log_file)
    options = BuildOptions(validation_workers=0, processes=2, report=False, warm_start=False)
    settings = Settings(max_concurrency=4)
    try:
        out = tmp_path / "pets"
        asyncio.run(build_dataset(_candidates(server, images), out, settings, options)).close()
    finally:
        logger.remove()
    packaged = CliRunner().invoke(
        app, ["--log-format", "json", "--log-level", "DEBUG", "package", str(out)]
    )
    assert packaged.exit_code == 0, packaged.output

    records = _records(log_file.read_text().splitlines() + packaged.stderr.splitlines())
    assert {r["process"]["id"] for r in records if r["extra"].get("operation") == "validation"}
    _check(_by_operation(records), local_user(), "pets")


def test_a_distributed_job_logs_every_operation_with_context(
    deployment: Deployment, server: FixtureServer, images: ImageSet, tmp_path: Path
) -> None:
    client_log = tmp_path / "client.jsonl"
    listing = tmp_path / "cats.txt"
    listing.write_text("\n".join(c.url for c in _candidates(server, images)) + "\n")
    worker = deployment.worker(PIXCRAWLER_LOG_LEVEL="DEBUG")
    configure_logging(level="DEBUG", fmt="json", sink=client_log)
    try:
        job_id = deployment.submit([listing])
    finally:
        logger.remove()
    deployment.wait_for_status(job_id, "completed")
    wait_for(
        "the hot ZIP", lambda: deployment.ctx.storage.exists(f"archives/{job_id}/{job_id}.zip")
    )

    records = _records(client_log.read_text().splitlines()) + worker.records()
    _check(_by_operation(records), None, job_id)  # tasks name no user: null (LOGGING_GUIDE)
