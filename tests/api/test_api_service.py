"""Reviews change the exports, uploads are safe, middleware answers in the one shape."""

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.conftest import Caller
from api.world import completed_job
from pixcrawler.backend.distributed import package_job
from pixcrawler.config import get_settings


def _zip_members(api: TestClient, caller: Caller, job_id: str) -> list[str]:
    url = f"/api/v1/jobs/{job_id}/exports/archive/zip"
    first = api.get(url, headers=caller.headers)
    if first.status_code == 202:  # no worker here: package as the task would
        assert first.headers["retry-after"]
        package_job(api.app.state.context, job_id=job_id)  # type: ignore[attr-defined]
        first = api.get(url, headers=caller.headers)
    assert first.status_code == 200, first.text
    return zipfile.ZipFile(io.BytesIO(first.content)).namelist()


def test_a_rejected_image_leaves_the_zip_and_labels_and_comes_back_on_restore(
    api: TestClient, alice: Caller
) -> None:
    world = completed_job(api, alice.user_id)
    image = api.get(f"/api/v1/jobs/{world.job_id}/images/{world.image_ids[0]}",
                    headers=alice.headers).json()  # fmt: skip
    name = image["file_key"].rsplit("/", 1)[-1]
    assert any(m.endswith(name) for m in _zip_members(api, alice, world.job_id))

    rejected = api.post(f"/api/v1/jobs/{world.job_id}/images/{image['id']}/reject",
                        headers=alice.headers)  # fmt: skip

    assert rejected.json()["rejected"] is True
    assert not any(m.endswith(name) for m in _zip_members(api, alice, world.job_id))
    metadata = api.get(f"/api/v1/jobs/{world.job_id}/exports/metadata", headers=alice.headers)
    assert name not in metadata.text and metadata.text.count("\n") == 2
    listed = api.get(f"/api/v1/jobs/{world.job_id}/images?status=rejected",
                     headers=alice.headers).json()["items"]  # fmt: skip
    assert [row["id"] for row in listed] == [image["id"]]
    progress = api.get(f"/api/v1/jobs/{world.job_id}/progress", headers=alice.headers).json()
    assert progress["classes"] == [{"label": "cat", "counts": {"kept": 2, "rejected": 1}}]

    api.post(f"/api/v1/jobs/{world.job_id}/images/{image['id']}/restore", headers=alice.headers)
    assert any(m.endswith(name) for m in _zip_members(api, alice, world.job_id))
    actions = [
        a["action"] for a in api.get("/api/v1/activity", headers=alice.headers).json()["items"]
    ]
    assert {"image.reject", "image.restore", "export.zip"} <= set(actions)


def test_metadata_exports_as_csv_and_parquet_and_the_report_renders(
    api: TestClient, alice: Caller
) -> None:
    world = completed_job(api, alice.user_id)
    base = f"/api/v1/jobs/{world.job_id}/exports"
    csv = api.get(f"{base}/metadata?format=csv", headers=alice.headers)
    parquet = api.get(f"{base}/metadata?format=parquet", headers=alice.headers)
    report = api.get(f"{base}/report", headers=alice.headers)

    assert csv.status_code == 200 and csv.text.count("\n") == 4
    assert parquet.content[:4] == b"PAR1"
    assert report.status_code == 200 and "<html" in report.text.lower()


def test_uploads_keep_a_safe_name_refuse_other_types_and_cap_the_size(
    api: TestClient, alice: Caller, bob: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = b"url,label\nhttp://example.test/a.jpg,cat\n"
    stored = api.post("/api/v1/uploads", headers=alice.headers,
                      files={"file": ("../../../etc/urls.csv", csv)})  # fmt: skip
    assert stored.status_code == 201
    key = stored.json()["key"]
    assert (
        key.startswith(f"uploads/{alice.user_id}/")
        and ".." not in key
        and key.endswith("-urls.csv")
    )

    wrong = api.post("/api/v1/uploads", headers=alice.headers, files={"file": ("x.exe", b"MZ")})
    assert wrong.status_code == 415

    spec = {"kind": "url_list", "source_keys": [key]}
    theirs = api.post("/api/v1/jobs", headers=bob.headers, json={"spec": spec})
    escaped = {**spec, "source_keys": [key + "/../../x.csv"]}
    traversal = api.post("/api/v1/jobs", headers=alice.headers, json={"spec": escaped})
    assert theirs.status_code == 404
    assert traversal.status_code in (400, 404)


def test_an_oversized_body_answers_413(api: TestClient, alice: Caller) -> None:
    cap = get_settings().api_max_body_bytes
    answer = api.post("/api/v1/projects", headers=alice.headers,
                      content=b"{" + b" " * cap + b"}")  # fmt: skip
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_request_ids_are_echoed_or_made_and_security_headers_set(
    api: TestClient, alice: Caller
) -> None:
    given = api.get("/api/v1/nope", headers={"X-Request-ID": "client-chosen-id-1"})
    made = api.get("/healthz", headers={"X-Request-ID": "bad id\r\nx"})

    assert given.status_code == 404
    assert given.json()["error"] == {"code": "not_found", "message": "Not Found",
                                     "request_id": "client-chosen-id-1"}  # fmt: skip
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in made.headers["content-security-policy"]


def test_the_rate_limit_answers_429_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pixcrawler.backend.api import create_app

    monkeypatch.setenv("PIXCRAWLER_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        codes = [client.get("/api/v1/users/me").status_code for _ in range(6)]
        limited = client.get("/api/v1/users/me")
    assert codes.count(401) == 3 and 429 in codes  # the window may turn over once
    if limited.status_code == 429:
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"


def test_per_user_limits_name_the_limit(
    api: TestClient, alice: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = {"kind": "keywords", "keywords": ["a", "b"], "engines": ["bing"], "per_class": 6000}
    answer = api.post("/api/v1/jobs", headers=alice.headers, json={"spec": spec})

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "limit_exceeded"
    assert "images_per_job" in answer.json()["error"]["message"]


def test_metrics_are_prometheus_text(api: TestClient, alice: Caller) -> None:
    completed_job(api, alice.user_id)
    api.get("/api/v1/jobs", headers=alice.headers)
    text = api.get("/metrics").text

    assert 'pixcrawler_jobs{state="completed"} 1.0' in text
    assert 'pixcrawler_images{status="kept"} 3.0' in text
    assert 'route="/api/v1/jobs"' in text


def test_readyz_checks_database_broker_and_storage(api: TestClient) -> None:
    body = api.get("/readyz").json()
    assert body == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "storage": "ok"}}
