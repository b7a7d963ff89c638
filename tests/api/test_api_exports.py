"""The archive formats and WebDataset shards through the API: each route answers 202 while a
worker packages, then a readable archive holding every kept image."""

import io
import tarfile

import py7zr
import pytest
import zstandard
from fastapi.testclient import TestClient

from api.conftest import Caller
from api.world import completed_job
from pixcrawler.backend.distributed import package_job


def _archive(api: TestClient, caller: Caller, job_id: str, fmt: str) -> bytes:
    """The archive of ``fmt``, packaged in between as the worker would after the first 202."""
    url = f"/api/v1/jobs/{job_id}/exports/archive/{fmt}"
    pending = api.get(url, headers=caller.headers)
    assert pending.status_code == 202, pending.text
    assert pending.json() == {"status": "packaging", "retry_after": 2}
    package_job(api.app.state.context, job_id=job_id, fmt=fmt)  # type: ignore[attr-defined]
    ready = api.get(url, headers=caller.headers)
    assert ready.status_code == 200, ready.text
    return ready.content


def _7z_names(data: bytes) -> list[str]:
    with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
        return list(archive.getnames())


def _tar_zst_names(data: bytes) -> list[str]:
    raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
        return archive.getnames()


@pytest.mark.parametrize(
    ("fmt", "media_type", "names"),
    [("7z", "application/x-7z-compressed", _7z_names),
     ("tar.zst", "application/zstd", _tar_zst_names)],
)  # fmt: skip
def test_7z_and_tar_zst_are_packaged_on_request_and_hold_every_image(
    api: TestClient, alice: Caller, fmt: str, media_type: str, names: object
) -> None:
    world = completed_job(api, alice.user_id)
    data = _archive(api, alice, world.job_id, fmt)

    members = names(data)  # type: ignore[operator]
    assert sum(name.endswith(".jpg") for name in members) == len(world.image_ids)
    assert any(name.endswith("SHA256SUMS") for name in members)
    again = api.get(f"/api/v1/jobs/{world.job_id}/exports/archive/{fmt}", headers=alice.headers)
    assert again.headers["content-type"] == media_type


def test_webdataset_lists_its_shards_and_each_is_a_tar_of_the_images(
    api: TestClient, alice: Caller
) -> None:
    world = completed_job(api, alice.user_id)
    base = f"/api/v1/jobs/{world.job_id}/exports/webdataset"
    shards = api.get(base, headers=alice.headers).json()["shards"]

    assert shards and all(name.startswith(f"{world.job_id}-") for name in shards)
    members: list[str] = []
    for name in shards:
        answer = api.get(f"{base}/{name}", headers=alice.headers)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-tar"
        with tarfile.open(fileobj=io.BytesIO(answer.content)) as shard:
            members += shard.getnames()
    assert sum(member.endswith((".jpg", ".jpeg")) for member in members) == len(world.image_ids)
    unknown = api.get(f"{base}/..%2F..%2Fmetadata.jsonl", headers=alice.headers)
    assert unknown.status_code == 404


def test_exports_of_a_job_still_running_answer_409(api: TestClient, alice: Caller) -> None:
    from pixcrawler.backend.db import Job, session_scope

    world = completed_job(api, alice.user_id)
    with session_scope(api.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        session.get(Job, world.job_id).status = "running"  # type: ignore[union-attr]
    for path in ("archive/zip", "metadata", "report", "webdataset"):
        answer = api.get(f"/api/v1/jobs/{world.job_id}/exports/{path}", headers=alice.headers)
        assert answer.status_code == 409, path
        assert answer.json()["error"]["code"] == "conflict"
