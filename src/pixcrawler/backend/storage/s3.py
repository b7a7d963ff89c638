"""``S3Storage``: the storage protocol over an S3 bucket (AWS or any S3-compatible endpoint)."""

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import boto3
import botocore.loaders
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from pixcrawler.backend.storage._calls import call_with_retry
from pixcrawler.backend.storage._errors import translate_s3_error
from pixcrawler.backend.storage._keys import join_key, validate_key, validate_prefix
from pixcrawler.backend.storage.base import (
    TREE_WORKERS,
    StorageBase,
    Tier,
    content_type_for,
    require_source_file,
)
from pixcrawler.backend.storage.local import atomic_file
from pixcrawler.config import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")


class S3Storage(StorageBase):
    """Objects are S3 keys ``prefix/key`` in one bucket (which must exist).

    Credentials come from the usual boto3 chain (environment, profile, instance role). The
    SDK's retries are off (one attempt per call): PixCrawler's retry policy is the one layer.
    Files upload in parts above 8 MiB, ``max_concurrency`` parts at once. S3 storage classes
    are not mapped to tiers: ``tier`` is ignored and :meth:`set_tier` returns False.

    Args:
        bucket: The bucket's name.
        prefix: Folder inside the bucket every key lives under ("" for the root).
        endpoint_url: An S3-compatible endpoint (MinIO, moto); path-style addressing is used.
        region: The bucket's region.
        max_concurrency: Parallel parts for one large upload or download.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        max_concurrency: int = 4,
        settings: Settings | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = validate_prefix(prefix).strip("/")
        self.client: S3Client = _client(endpoint_url, region, max_concurrency, settings)
        self.transfer_config = TransferConfig(
            max_concurrency=max_concurrency, num_download_attempts=1, use_threads=True
        )

    def __repr__(self) -> str:
        endpoint = self.client.meta.endpoint_url
        return f"S3Storage({endpoint!r}, {self.bucket!r}, {self.prefix!r})"

    def put(
        self,
        key: str,
        data: bytes | Path,
        *,
        content_type: str | None = None,
        tier: Tier | None = None,
    ) -> None:
        """Upload ``data``; a ``Path`` goes through the multipart transfer manager."""
        name = self._name(key)
        require_source_file(data)
        content = content_type_for(key, content_type) or "application/octet-stream"
        if isinstance(data, Path):
            upload = data
            self._call("put", key, lambda: self._upload_file(upload, name, content))
            return
        body = data
        self._call(
            "put",
            key,
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=name, Body=body, ContentType=content
            ),
        )

    def get(self, key: str) -> bytes:
        """The object's bytes (the body is read inside the retried call)."""
        name = self._name(key)

        def read() -> bytes:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()

        return self._call("get", key, read)

    def download(self, key: str, dest: Path) -> None:
        """Stream the object into ``dest`` through a temporary sibling file."""
        name = self._name(key)

        def fetch() -> None:
            with atomic_file(dest) as handle:
                self.client.download_fileobj(self.bucket, name, handle, Config=self.transfer_config)

        self._call("download", key, fetch)

    def exists(self, key: str) -> bool:
        """True if the object exists (a HEAD request)."""
        name = self._name(key)

        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=name)
            except ClientError as error:
                if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return False
                raise
            return True

        return self._call("exists", key, head)

    def list(self, prefix: str = "") -> Iterator[str]:
        """Sorted keys under ``prefix``, relative to the provider's prefix."""
        base = f"{self.prefix}/" if self.prefix else ""
        start = base + validate_prefix(prefix)

        def names() -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            )
            return sorted(
                item["Key"][len(base) :] for page in pages for item in page.get("Contents", [])
            )

        return iter(self._call("list", start, names))

    def delete(self, key: str) -> None:
        """Delete the object; S3 answers a missing key like a deleted one."""
        name = self._name(key)
        self._call("delete", key, lambda: self.client.delete_object(Bucket=self.bucket, Key=name))

    def url(self, key: str, *, expires: int = 3600) -> str:
        """A presigned GET URL valid ``expires`` seconds (signed locally, no request)."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._name(key)}, ExpiresIn=expires
        )

    def set_tier(self, key: str, tier: Tier) -> bool:
        """Not supported: S3 storage classes change by copying, and Glacier needs restores."""
        validate_key(key)
        return False

    def _upload_file(self, path: Path, name: str, content_type: str) -> None:
        extra = {"ContentType": content_type}
        self.client.upload_file(
            str(path), self.bucket, name, ExtraArgs=extra, Config=self.transfer_config
        )

    def _name(self, key: str) -> str:
        return join_key(self.prefix, validate_key(key))

    def _call(self, operation: str, key: str, call: Callable[[], T]) -> T:
        return call_with_retry(operation, key, call, translate_s3_error)


def _client(
    endpoint_url: str | None, region: str, max_concurrency: int, settings: Settings | None
) -> "S3Client":
    """A client of its own session (credentials resolved afresh), with botocore's retries off."""
    resolved = settings or get_settings()
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},  # one retry layer: ours
        connect_timeout=resolved.connect_timeout,
        read_timeout=resolved.read_timeout,
        max_pool_connections=max(10, TREE_WORKERS * max_concurrency),
        signature_version="s3v4",  # presigned URLs too; SigV2 is refused by newer regions
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader())
    session = boto3.session.Session(botocore_session=core)
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


@cache
def _shared_loader() -> botocore.loaders.Loader:
    """One loader of botocore's JSON models per process: a new session re-parses them (0.1 s)."""
    return botocore.loaders.create_loader()
