"""Storage-backed exports answer 307 to a signed URL (Azure SAS on Azurite, S3 presigned on
moto), and that URL, fetched with no credentials of ours, returns the file."""

import io
import uuid
import zipfile
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient

from api.conftest import Caller, make_caller
from api.world import completed_job
from pixcrawler.backend.api import create_app
from pixcrawler.backend.distributed import package_job
from pixcrawler.backend.storage import LocalStorage
from pixcrawler.config import get_settings
from support.azurite import running_azurite
from support.moto_s3 import REGION, aws_test_environment, running_moto_server

#: The query parameter that carries each provider's signature.
SIGNATURE = {"azure": "sig", "s3": "X-Amz-Signature"}


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_azurite(tmp_path_factory.mktemp("azurite")) as connection:
        yield connection


@pytest.fixture(scope="module")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("moto")
    with aws_test_environment(workdir), running_moto_server(workdir) as endpoint:
        yield endpoint


def _configure_azure(request: pytest.FixtureRequest, bucket: str) -> dict[str, str]:
    connection = request.getfixturevalue("azurite")  # the first put creates the container
    return {"PIXCRAWLER_STORAGE_URL": f"az://{bucket}/pixcrawler",
            "PIXCRAWLER_AZURE_CONNECTION_STRING": connection}  # fmt: skip


def _configure_s3(request: pytest.FixtureRequest, bucket: str) -> dict[str, str]:
    endpoint = request.getfixturevalue("moto_s3")
    admin = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=REGION)
    admin.create_bucket(Bucket=bucket)
    return {"PIXCRAWLER_STORAGE_URL": f"s3://{bucket}/pixcrawler",
            "PIXCRAWLER_S3_ENDPOINT_URL": endpoint, "PIXCRAWLER_S3_REGION": REGION}  # fmt: skip


@pytest.fixture(params=["azure", "s3"])
def cloud_api(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[TestClient]:  # fmt: skip
    """An app configured, as a deployment would be, to keep jobs in a fresh Azurite container
    or moto bucket."""
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    configure = _configure_azure if request.param == "azure" else _configure_s3
    for name, value in configure(request, bucket).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        storage = client.app.state.context.storage  # type: ignore[attr-defined]
        assert not isinstance(storage, LocalStorage)
        client.provider = request.param  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def carol(cloud_api: TestClient) -> Caller:
    return make_caller(cloud_api, "carol@example.org")


def _signed(answer: httpx.Response, provider: str) -> str:
    assert answer.status_code == 307, answer.text
    location = answer.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert SIGNATURE[provider] in query, location
    return location


def test_the_zip_export_redirects_to_a_signed_url_that_returns_the_archive(
    cloud_api: TestClient, carol: Caller
) -> None:
    world = completed_job(cloud_api, carol.user_id)
    package_job(cloud_api.app.state.context, job_id=world.job_id)  # type: ignore[attr-defined]
    url = f"/api/v1/jobs/{world.job_id}/exports/archive/zip"

    answer = cloud_api.get(url, headers=carol.headers, follow_redirects=False)
    location = _signed(answer, cloud_api.provider)  # type: ignore[attr-defined]
    fetched = httpx.get(location)  # no Authorization: the signature alone grants it

    assert fetched.status_code == 200
    members = zipfile.ZipFile(io.BytesIO(fetched.content)).namelist()
    assert sum(name.endswith(".jpg") for name in members) == len(world.image_ids)
    assert any(name.endswith("SHA256SUMS") for name in members)


def test_metadata_and_an_original_redirect_too_and_an_unsigned_url_is_refused(
    cloud_api: TestClient, carol: Caller
) -> None:
    world = completed_job(cloud_api, carol.user_id)
    base = f"/api/v1/jobs/{world.job_id}"
    provider = cloud_api.provider  # type: ignore[attr-defined]

    def location(path: str) -> str:
        return _signed(cloud_api.get(path, headers=carol.headers, follow_redirects=False), provider)

    metadata = location(f"{base}/exports/metadata")
    original = location(f"{base}/images/{world.image_ids[0]}/original")

    assert httpx.get(metadata).text.count("\n") == len(world.image_ids)
    assert httpx.get(original).content[:3] == b"\xff\xd8\xff"  # a JPEG
    unsigned = urlsplit(original)._replace(query="").geturl()
    assert httpx.get(unsigned).status_code in (401, 403, 404)
