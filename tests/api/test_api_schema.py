"""Schemathesis over the OpenAPI schema: no 5xx and no answer the schema does not describe.

Bounded so the suite stays fast and repeatable: a fixed number of examples per operation, a
fixed seed, no deadline (the machine is shared) and no example database. Every request carries
an API key; the operations run twice, once with generated ids (mostly 404s, bodies and queries
fuzzed) and once with the ids of the caller's own completed job, so the routes' real work runs.
"""

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.conftest import Caller, make_caller
from api.world import completed_job
from pixcrawler.backend.api import create_app
from pixcrawler.config import get_settings
from support.deployment import schema_url  # noqa: F401 - the fixture

EXAMPLES_PER_OPERATION = 12
SEED = 20240611
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


def operations(api: TestClient) -> list[Any]:
    """The app's operations as schemathesis sees them, deletions last (so a deleted project
    does not turn the later operations on its children into 404s)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda operation: operation.method.upper() == "DELETE")


def fuzz(operation: Any, caller: Caller, paths: dict[str, Any],
         mode: GenerationMode = GenerationMode.POSITIVE,
         examples: int = EXAMPLES_PER_OPERATION) -> None:  # fmt: skip
    """Send ``examples`` generated requests to ``operation`` as ``caller`` and check each answer;
    path parameters named in ``paths`` are fixed, the others generated."""
    names = {parameter.name for parameter in operation.path_parameters}
    fixed = {name: value for name, value in paths.items() if name in names} or None
    strategy = operation.as_strategy(mode, headers=caller.headers, path_parameters=fixed)

    @seed(SEED)
    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def check(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


@pytest.mark.parametrize("ids", ["generated", "own"])
def test_generated_requests_get_no_5xx_and_answers_the_schema_describes(
    api: TestClient, alice: Caller, ids: str
) -> None:
    world = completed_job(api, alice.user_id)
    # A key of its own to revoke: a generated id could otherwise be the caller's only key.
    spare = api.post("/api/v1/api-keys", json={"name": "spare"}, headers=alice.headers).json()
    paths: dict[str, Any] = {"key_id": spare["id"]}
    if ids == "own":
        paths |= {"job_id": world.job_id, "project_id": world.project_id,
                  "dataset_id": world.dataset_id, "image_id": world.image_ids[0]}  # fmt: skip
    walked = operations(api)
    assert len(walked) >= 30  # the walk covers the whole API, not a stale subset

    for operation in walked:
        fuzz(operation, alice, paths)


@pytest.fixture
def postgres_api(schema_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:  # noqa: F811
    """The app on a PostgreSQL schema of its own (stricter than SQLite about what it stores)."""
    monkeypatch.setenv("PIXCRAWLER_DATABASE_URL", schema_url)
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/projects", {"name": "a\x00b"}),
        ("/api/v1/api-keys", {"name": "a\x00b"}),
        (
            "/api/v1/jobs",
            {
                "spec": {
                    "kind": "keywords",
                    "keywords": ["a\x00b"],
                    "engines": ["bing"],
                    "per_class": 2,
                }
            },
        ),
    ],
)
def test_values_postgresql_cannot_store_answer_400_not_500(
    postgres_api: TestClient, path: str, body: dict[str, Any]
) -> None:
    caller = make_caller(postgres_api, "dora@example.org")
    answer = postgres_api.post(path, json=body, headers=caller.headers)

    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["code"] in ("bad_request", "invalid_request")


def test_ids_past_what_a_column_holds_answer_422_or_400(api: TestClient, alice: Caller) -> None:
    huge = 2**70
    cursor = base64.urlsafe_b64encode(str(huge).encode()).decode()
    for path in (f"/api/v1/projects/{huge}", f"/api/v1/datasets/{2**40}",
                 "/api/v1/jobs/x%00y", f"/api/v1/projects?cursor={cursor}"):  # fmt: skip
        answer = api.get(path, headers=alice.headers)
        assert answer.status_code in (400, 422), (path, answer.text)
