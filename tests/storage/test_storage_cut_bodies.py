"""Bodies that break off mid-read, on Azurite and moto behind a cutting proxy: 3 GETs, transient.

Each GET of the blob or object is answered with its real headers and half its body, then the
connection is closed (or held until the read timeout). The proxy counts the GETs it receives, so
a second retry layer anywhere below ours (the Azure SDK's read loop, s3transfer's attempts) would
show as more than 3.
"""

from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from pixcrawler.backend.storage import DataLakeBlobProvider, S3Storage
from pixcrawler.config import Settings
from pixcrawler.errors import NetworkError, TimeoutException, TransientError
from support.azurite import connection_string
from support.cutting_proxy import cutting_proxy
from support.moto_s3 import REGION

BODY = bytes(range(256)) * 256  # 64 KiB: one GET for either SDK


def _azurite_url(azurite: str) -> str:
    return azurite.split("BlobEndpoint=")[1].split(";", maxsplit=1)[0].rsplit("/", 1)[0]


def _read(provider: DataLakeBlobProvider | S3Storage, how: str, tmp_path: Path) -> None:
    if how == "get":
        provider.get("k.bin")
    else:
        provider.download("k.bin", tmp_path / "k.bin")


@pytest.mark.parametrize("how", ["get", "download"])
def test_azure_cut_body_costs_three_gets_not_nine(
    azurite: str, unique_name: str, tmp_path: Path, how: str
) -> None:
    DataLakeBlobProvider(unique_name, connection_string=azurite).put("k.bin", BODY)

    with cutting_proxy(_azurite_url(azurite), f"/{unique_name}/k.bin") as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        behind = DataLakeBlobProvider(unique_name, connection_string=connection_string(port))
        with pytest.raises(NetworkError) as caught:
            _read(behind, how, tmp_path)

    assert proxy.broken_gets() == 3  # the SDK's own read loop made it 9
    assert caught.value.attempts == 3
    assert not (tmp_path / "k.bin").exists()  # no partial file left behind


@pytest.mark.parametrize("how", ["get", "download"])
def test_s3_cut_body_is_transient_and_costs_three_gets(
    moto_s3: str, s3_admin: S3Client, unique_name: str, tmp_path: Path, how: str
) -> None:
    s3_admin.create_bucket(Bucket=unique_name)
    s3_admin.put_object(Bucket=unique_name, Key="k.bin", Body=BODY)

    with cutting_proxy(moto_s3, f"/{unique_name}/k.bin") as proxy:
        behind = S3Storage(unique_name, endpoint_url=proxy.url, region=REGION)
        with pytest.raises(NetworkError) as caught:
            _read(behind, how, tmp_path)

    assert proxy.broken_gets() == 3  # the transfer manager's give-up was permanent: 1 GET
    assert caught.value.attempts == 3
    assert not (tmp_path / "k.bin").exists()


def test_s3_stalled_body_is_a_timeout_after_three_gets(
    moto_s3: str, s3_admin: S3Client, unique_name: str, tmp_path: Path
) -> None:
    s3_admin.create_bucket(Bucket=unique_name)
    s3_admin.put_object(Bucket=unique_name, Key="k.bin", Body=BODY)
    settings = Settings(read_timeout=0.5)

    with cutting_proxy(moto_s3, f"/{unique_name}/k.bin", mode="stall") as proxy:
        behind = S3Storage(unique_name, endpoint_url=proxy.url, region=REGION, settings=settings)
        with pytest.raises(TransientError) as caught:
            behind.download("k.bin", tmp_path / "k.bin")

    assert isinstance(caught.value, TimeoutException)
    assert proxy.broken_gets() == 3
    assert caught.value.attempts == 3
