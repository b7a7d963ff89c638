"""Storage fixtures: Azurite and moto's S3 server per session, and ``provider`` per backend.

``provider`` runs a test against a folder, Azurite and moto alike; each test gets an empty
container, bucket or folder, with a prefix so the provider's key mapping is exercised.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from mypy_boto3_s3 import S3Client

from pixcrawler.backend.storage import (
    DataLakeBlobProvider,
    LocalStorage,
    S3Storage,
    StorageProvider,
)
from support.azurite import running_azurite
from support.moto_s3 import REGION, aws_test_environment, running_moto_server

PROVIDER_PREFIX = "datasets"


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Azurite Blob service: its connection string."""
    with running_azurite(tmp_path_factory.mktemp("azurite")) as connection:
        yield connection


@pytest.fixture(scope="session")
def aws_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fake AWS credentials (and no shared config files) for the session."""
    with aws_test_environment(tmp_path_factory.mktemp("aws")):
        yield


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory, aws_credentials: None) -> Iterator[str]:
    """A running moto S3 server: its endpoint URL."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def s3_admin(moto_s3: str) -> S3Client:
    """A plain boto3 client on moto, for set-up and inspection behind the provider's back."""
    return boto3.session.Session().client("s3", endpoint_url=moto_s3, region_name=REGION)


@pytest.fixture
def unique_name() -> str:
    """A fresh lower-case name valid as an Azure container and an S3 bucket."""
    return f"t-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def local_provider(tmp_path: Path) -> LocalStorage:
    """A folder provider under the test's temporary directory."""
    return LocalStorage(tmp_path / "store")


@pytest.fixture
def azure_provider(azurite: str, unique_name: str) -> DataLakeBlobProvider:
    """An Azurite provider on a container that does not exist yet (the first put creates it)."""
    return DataLakeBlobProvider(unique_name, PROVIDER_PREFIX, connection_string=azurite)


@pytest.fixture
def s3_provider(moto_s3: str, s3_admin: S3Client, unique_name: str) -> S3Storage:
    """A moto provider on a new empty bucket."""
    s3_admin.create_bucket(Bucket=unique_name)
    return S3Storage(unique_name, PROVIDER_PREFIX, endpoint_url=moto_s3, region=REGION)


@pytest.fixture(params=["local", "azure", "s3"])
def provider(request: pytest.FixtureRequest) -> StorageProvider:
    """The same behavioural test against every provider."""
    built: StorageProvider = request.getfixturevalue(f"{request.param}_provider")
    return built


@pytest.fixture(params=["azure", "s3"])
def remote_provider(request: pytest.FixtureRequest) -> StorageProvider:
    """The object-store providers only (they keep content types and serve URLs over HTTP)."""
    built: StorageProvider = request.getfixturevalue(f"{request.param}_provider")
    return built
