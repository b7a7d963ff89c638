"""Isolation: another user's ids answer 404 on every route and verb of the OpenAPI schema."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import Caller
from api.world import World, completed_job

#: Valid bodies for routes that take one, so a 404 cannot hide behind a 422.
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/api/v1/jobs/{job_id}/revalidate"): {"level": "fast"},
}
_PARAM = re.compile(r"{(\w+)}")


def _ids(world: World) -> dict[str, Any]:
    return {"project_id": world.project_id, "dataset_id": world.dataset_id,
            "job_id": world.job_id, "image_id": world.image_ids[0],
            "key_id": world.api_key_id, "shard": f"{world.job_id}-000000.tar",
            "fmt": "zip"}  # fmt: skip


def _operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method, path) for path, ops in schema["paths"].items() for method in ops
            if _PARAM.search(path)]  # fmt: skip


@pytest.fixture
def alices_world(api: TestClient, alice: Caller) -> World:
    world = completed_job(api, alice.user_id)
    made = api.post("/api/v1/api-keys", json={"name": "k"}, headers=alice.headers).json()
    world.api_key_id = made["id"]
    return world


def test_every_route_with_an_id_answers_404_to_another_user(
    api: TestClient, alice: Caller, bob: Caller, alices_world: World
) -> None:
    operations = _operations(api.get("/openapi.json").json())
    assert len(operations) >= 20  # the walk sees the whole API, not a stale subset
    ids = _ids(alices_world)
    for method, template in operations:
        path = _PARAM.sub(lambda m: str(ids[m.group(1)]), template)
        body = BODIES.get((method, template))
        answer = api.request(method.upper(), path, headers=bob.headers, json=body)
        assert answer.status_code == 404, f"{method.upper()} {template}: {answer.status_code}"
        assert answer.json()["error"]["code"] == "not_found"


def test_the_owner_reaches_the_same_routes(
    api: TestClient, alice: Caller, alices_world: World
) -> None:
    job = alices_world.job_id
    for path in (f"/api/v1/jobs/{job}", f"/api/v1/jobs/{job}/images",
                 f"/api/v1/projects/{alices_world.project_id}",
                 f"/api/v1/datasets/{alices_world.dataset_id}",
                 f"/api/v1/jobs/{job}/images/{alices_world.image_ids[0]}/thumbnail"):  # fmt: skip
        assert api.get(path, headers=alice.headers).status_code == 200, path


def test_ids_in_bodies_are_checked_too(api: TestClient, bob: Caller, alices_world: World) -> None:
    dataset = api.post("/api/v1/datasets", headers=bob.headers,
                       json={"project_id": alices_world.project_id, "name": "x"})  # fmt: skip
    spec = {"kind": "keywords", "keywords": ["a"], "engines": ["bing"], "per_class": 2}
    job = api.post("/api/v1/jobs", headers=bob.headers,
                   json={"spec": spec, "dataset_id": alices_world.dataset_id})  # fmt: skip

    assert dataset.status_code == 404
    assert job.status_code == 404


def test_lists_show_only_the_callers_rows(
    api: TestClient, bob: Caller, alices_world: World
) -> None:
    for path in ("/api/v1/jobs", "/api/v1/projects", "/api/v1/datasets", "/api/v1/activity"):
        assert api.get(path, headers=bob.headers).json()["items"] == [], path
