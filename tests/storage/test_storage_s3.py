"""``S3Storage`` against moto: multipart uploads, presigned URLs, buckets, prefixes."""

from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from mypy_boto3_s3 import S3Client

from pixcrawler.backend.storage import S3Storage
from pixcrawler.errors import NotFoundError
from support.moto_s3 import REGION

MIB = 1024 * 1024


def test_large_files_upload_in_parts(
    s3_provider: S3Storage, s3_admin: S3Client, tmp_path: Path
) -> None:
    s3_provider.transfer_config = TransferConfig(
        multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, num_download_attempts=1
    )
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * (11 * MIB // 256))

    s3_provider.put("big.bin", source)

    head = s3_admin.head_object(Bucket=s3_provider.bucket, Key="datasets/big.bin")
    assert head["ETag"].endswith('-3"')  # three parts: 5 + 5 + 1 MiB
    assert head["ContentType"] == "application/octet-stream"
    assert s3_provider.get("big.bin") == source.read_bytes()


def test_url_is_presigned_for_the_requested_time(s3_provider: S3Storage) -> None:
    url = s3_provider.url("a/b.jpg", expires=600)

    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=600" in url
    assert f"/{s3_provider.bucket}/datasets/a/b.jpg?" in url  # path-style on a custom endpoint


def test_a_missing_bucket_is_not_found(moto_s3: str, unique_name: str) -> None:
    storage = S3Storage(unique_name, endpoint_url=moto_s3, region=REGION)

    with pytest.raises(NotFoundError, match="NoSuchBucket"):
        storage.put("a", b"a")


def test_tiers_are_not_mapped_to_storage_classes(
    s3_provider: S3Storage, s3_admin: S3Client
) -> None:
    s3_provider.put("t.bin", b"t", tier="archive")

    assert s3_provider.set_tier("t.bin", "cool") is False
    head = s3_admin.head_object(Bucket=s3_provider.bucket, Key="datasets/t.bin")
    assert head.get("StorageClass", "STANDARD") == "STANDARD"


def test_prefixes_keep_providers_apart(
    s3_provider: S3Storage, moto_s3: str, s3_admin: S3Client
) -> None:
    other = S3Storage(s3_provider.bucket, "elsewhere", endpoint_url=moto_s3, region=REGION)
    s3_provider.put("x.jpg", b"mine")
    other.put("x.jpg", b"theirs")

    assert list(s3_provider.list()) == ["x.jpg"]
    assert other.get("x.jpg") == b"theirs"
    listed = s3_admin.list_objects_v2(Bucket=s3_provider.bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == ["datasets/x.jpg", "elsewhere/x.jpg"]
