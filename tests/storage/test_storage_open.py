"""``open_storage``: storage URLs and settings become the right provider."""

from pathlib import Path

import pytest

from pixcrawler.backend.storage import (
    DataLakeBlobProvider,
    LocalStorage,
    S3Storage,
    StorageProvider,
    open_storage,
)
from pixcrawler.config import Settings
from support.azurite import connection_string


def test_default_is_a_folder_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    storage = open_storage(settings=settings)

    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "data" / "storage").resolve()


def test_storage_url_setting_is_used_when_no_url_is_given(tmp_path: Path) -> None:
    settings = Settings(storage_url=(tmp_path / "elsewhere").as_uri())

    storage = open_storage(settings=settings)

    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "elsewhere").resolve()


def test_file_url_with_escapes(tmp_path: Path) -> None:
    storage = open_storage((tmp_path / "with space").as_uri())

    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "with space").resolve()


@pytest.mark.parametrize("url", ["file://host/abs/path", "file:relative/path"])
def test_file_url_must_be_absolute_and_local(url: str) -> None:
    with pytest.raises(ValueError, match="file:///absolute/path"):
        open_storage(url)


def test_az_url_names_container_and_prefix() -> None:
    settings = Settings(azure_connection_string=connection_string(10000))

    storage = open_storage("az://datasets/team/pets/", settings)

    assert isinstance(storage, DataLakeBlobProvider)
    assert (storage.container, storage.prefix) == ("datasets", "team/pets")
    assert storage.service.account_name == "devstoreaccount1"


def test_az_url_with_an_account_url_and_no_key_is_anonymous() -> None:
    settings = Settings(
        azure_connection_string="", azure_account_url="https://acct.blob.core.windows.net"
    )

    storage = open_storage("az://public", settings)

    assert isinstance(storage, DataLakeBlobProvider)
    assert storage.url("a/b.jpg") == "https://acct.blob.core.windows.net/public/a/b.jpg"


def test_az_url_without_credentials_says_which_setting_is_missing() -> None:
    with pytest.raises(ValueError, match="PIXCRAWLER_AZURE_CONNECTION_STRING"):
        open_storage("az://datasets", Settings(azure_connection_string="", azure_account_url=""))


def test_s3_url_uses_endpoint_and_region_settings() -> None:
    settings = Settings(s3_endpoint_url="http://127.0.0.1:9", s3_region="eu-west-1")

    storage = open_storage("s3://bucket/runs", settings)

    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == ("bucket", "runs")
    assert storage.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert storage.client.meta.region_name == "eu-west-1"


@pytest.mark.parametrize("url", ["az:///prefix", "s3://"])
def test_container_or_bucket_is_required(url: str) -> None:
    with pytest.raises(ValueError, match="names no container or bucket"):
        open_storage(url, Settings(azure_connection_string=connection_string(10000)))


@pytest.mark.parametrize("url", ["gs://bucket", "http://host/x", "/plain/path"])
def test_unknown_scheme_names_the_supported_ones(url: str) -> None:
    with pytest.raises(ValueError, match=r"file://, az://, s3://"):
        open_storage(url)


def test_every_provider_satisfies_the_protocol(tmp_path: Path) -> None:
    settings = Settings(azure_connection_string=connection_string(10000))
    for url in (tmp_path.as_uri(), "az://box", "s3://box"):
        assert isinstance(open_storage(url, settings), StorageProvider)
