"""End to end: `pixcrawler serve` as a real process (uvicorn on a free loopback port, its own
worker on the embedded broker) over PostgreSQL, driven through the Python client."""

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.conftest import JWT_SECRET, SUPABASE_URL, supabase_token
from api.serving import running_service
from pixcrawler.client import Client
from support.deployment import schema_url  # noqa: F401 - the fixture
from support.search_world import SearchWorld

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path: Path, schema_url: str, world: SearchWorld) -> Iterator[str]:  # noqa: F811
    """``pixcrawler serve`` on a free port; stopped (with its worker) afterwards."""
    world.install(["openverse"], images_per_query=6, pages=1)
    env = {**os.environ, **world.base_urls(),
           "PIXCRAWLER_DATABASE_URL": schema_url, "PIXCRAWLER_DATA_DIR": str(tmp_path / "data"),
           "PIXCRAWLER_SUPABASE_URL": SUPABASE_URL, "PIXCRAWLER_SUPABASE_JWT_SECRET": JWT_SECRET,
           "PIXCRAWLER_WATCHDOG_INTERVAL": "0"}  # fmt: skip
    with running_service(env, tmp_path / "serve.log") as base:
        yield base


def test_a_signed_in_user_gets_a_reviewed_dataset_through_the_api(
    service: str, tmp_path: Path
) -> None:
    token = supabase_token("e2e-user")
    with Client(service, token) as client:
        job = client.create_job({"kind": "keywords", "keywords": ["red fox"],
                                 "engines": ["openverse"], "per_class": 4})  # fmt: skip
        events = list(client.follow(job["id"]))
        assert events[-1] == {"event": "end", "status": "completed"}
        assert any(e["event"] == "progress" and e.get("classes") for e in events)

        kept = list(client.list_images(job["id"], status="kept"))
        assert len(kept) == 4
        victim = kept[0]
        client.reject(job["id"], victim["id"])
        archive = client.download(job["id"], tmp_path / "out", extract=False)

    members = zipfile.ZipFile(io.BytesIO(archive.read_bytes())).namelist()
    images = [m for m in members if "/images/" in m]
    assert len(images) == 3
    assert not any(m.endswith(victim["file_key"].rsplit("/", 1)[-1]) for m in members)
