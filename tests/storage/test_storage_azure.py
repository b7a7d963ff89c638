"""``DataLakeBlobProvider`` against Azurite: containers, SAS URLs, access tiers, prefixes."""

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

from pixcrawler.backend.storage import DataLakeBlobProvider
from pixcrawler.errors import NotFoundError, PermanentError


def _blob(provider: DataLakeBlobProvider, name: str) -> BlobClient:
    return provider.service.get_blob_client(provider.container, name)


def test_reads_of_a_container_that_does_not_exist_yet_find_nothing(
    azure_provider: DataLakeBlobProvider,
) -> None:
    assert not azure_provider.exists("a.txt")
    assert list(azure_provider.list()) == []
    with pytest.raises(NotFoundError):
        azure_provider.get("a.txt")
    assert not azure_provider.service.get_container_client(azure_provider.container).exists()


def test_container_creation_is_idempotent(azurite: str, unique_name: str) -> None:
    first = DataLakeBlobProvider(unique_name, connection_string=azurite)
    second = DataLakeBlobProvider(unique_name, connection_string=azurite)

    first.put("one", b"1")
    second.put("two", b"2")

    assert list(first.list()) == ["one", "two"]


def test_prefixes_keep_providers_apart(azurite: str, unique_name: str) -> None:
    team_a = DataLakeBlobProvider(unique_name, "team-a", connection_string=azurite)
    team_b = DataLakeBlobProvider(unique_name, "team-b/", connection_string=azurite)
    team_a.put("x.jpg", b"a")
    team_b.put("x.jpg", b"b")

    assert list(team_a.list()) == ["x.jpg"]
    assert team_b.get("x.jpg") == b"b"
    assert _blob(team_a, "team-a/x.jpg").download_blob().readall() == b"a"


def test_data_lake_directory_markers_are_not_listed(azure_provider: DataLakeBlobProvider) -> None:
    azure_provider.put("images/cat/a.jpg", b"a")
    marker = _blob(azure_provider, "datasets/images/cat")  # as a Gen2 account lists a directory
    marker.upload_blob(b"", metadata={"hdi_isfolder": "true"})

    assert list(azure_provider.list()) == ["images/cat/a.jpg"]


def test_url_is_signed_read_only_and_the_plain_url_is_refused(
    azure_provider: DataLakeBlobProvider,
) -> None:
    azure_provider.put("a.txt", b"secret")
    signed = azure_provider.url("a.txt", expires=120)
    plain, _, query = signed.partition("?")

    assert "sig=" in query
    assert "sp=r" in query
    assert httpx.get(signed).content == b"secret"
    assert httpx.get(plain).status_code in {403, 404}  # the container is private
    assert (
        httpx.put(signed, content=b"x", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403
    )


def test_tiers_are_set_and_put_honours_one(azure_provider: DataLakeBlobProvider) -> None:
    azure_provider.put("t.bin", b"t", tier="cool")
    blob = _blob(azure_provider, "datasets/t.bin")
    assert blob.get_blob_properties().blob_tier == "Cool"

    assert azure_provider.set_tier("t.bin", "archive")
    assert blob.get_blob_properties().blob_tier == "Archive"
    with pytest.raises(PermanentError, match="BlobArchived"):
        azure_provider.get("t.bin")

    assert azure_provider.set_tier("t.bin", "hot")  # Azurite rehydrates at once; Azure takes hours
    assert azure_provider.get("t.bin") == b"t"


def test_tier_of_a_missing_blob_is_not_found(azure_provider: DataLakeBlobProvider) -> None:
    azure_provider.put("present", b"p")

    with pytest.raises(NotFoundError):
        azure_provider.set_tier("absent", "cool")


def test_a_service_refusing_tiers_gives_false(
    azure_provider: DataLakeBlobProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    azure_provider.put("t.bin", b"t")
    refusal = HttpResponseError(message="tiers are not supported on this account")
    refusal.status_code = 400

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise refusal

    monkeypatch.setattr(BlobClient, "set_standard_blob_tier", refuse)

    assert azure_provider.set_tier("t.bin", "cool") is False
