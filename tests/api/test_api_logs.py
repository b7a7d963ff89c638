"""The seed's structured logs through the API: every "export" record carries user_id, job_id,
export_format and storage_tier; every "job creation" record user_id, job_id and operation."""

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from loguru import logger

from api.conftest import Caller
from api.world import completed_job
from pixcrawler.backend.distributed import package_job
from pixcrawler.utility.logging_config import configure_logging

EXPORT_FIELDS = {"user_id", "job_id", "export_format", "storage_tier"}
Records = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def records() -> Iterator[Records]:
    """The JSON log records written so far (loguru's serialised form, ``extra`` flattened)."""
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", sink=stream)

    def read() -> list[dict[str, Any]]:
        lines = stream.getvalue().splitlines()
        return [{"message": r["message"], **r["extra"]}
                for r in (json.loads(line)["record"] for line in lines)]  # fmt: skip

    yield read
    logger.remove()


def test_job_creation_logs_carry_user_job_and_operation(
    api: TestClient, alice: Caller, records: Records
) -> None:
    spec = {"kind": "keywords", "keywords": ["cat"], "engines": ["bing"], "per_class": 2}
    made = api.post("/api/v1/jobs", headers=alice.headers, json={"spec": spec})
    assert made.status_code == 201, made.text

    creation = [r for r in records() if r.get("operation") == "job_creation"]
    assert creation, "no job creation record"
    for record in creation:
        assert record["user_id"] == alice.user_id
        assert record["job_id"] == made.json()["id"]


def test_every_export_log_carries_user_job_format_and_tier(
    api: TestClient, alice: Caller, records: Records
) -> None:
    world = completed_job(api, alice.user_id)
    base = f"/api/v1/jobs/{world.job_id}/exports"
    api.get(f"{base}/archive/zip", headers=alice.headers)  # 202: packaging asked for
    package_job(api.app.state.context, job_id=world.job_id)  # type: ignore[attr-defined]
    api.get(f"{base}/archive/zip", headers=alice.headers)
    for path in ("metadata?format=csv", "report", "webdataset"):
        assert api.get(f"{base}/{path}", headers=alice.headers).status_code == 200, path

    exports = [r for r in records() if r.get("operation") == "export"]
    formats = {r["export_format"]: r for r in exports}
    assert {"zip", "metadata.csv", "report", "webdataset"} <= set(formats)
    for record in exports:
        assert set(record) >= EXPORT_FIELDS, record
        assert record["user_id"] == alice.user_id and record["job_id"] == world.job_id
    assert formats["zip"]["storage_tier"] == "hot"
