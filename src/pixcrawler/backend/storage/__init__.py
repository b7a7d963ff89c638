"""Dataset storage: one protocol over a folder, Azure Blob / Data Lake Gen2, and S3.

The cloud providers load their SDKs (a tenth of a second or more) only when first used.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pixcrawler.backend.storage.base import TIERS, StorageProvider, Tier, parse_tier
from pixcrawler.backend.storage.local import LocalStorage
from pixcrawler.config import Settings, get_settings

if TYPE_CHECKING:
    from pixcrawler.backend.storage.datalake_blob_provider import DataLakeBlobProvider
    from pixcrawler.backend.storage.s3 import S3Storage

from pixcrawler.backend.storage._keys import STATE_DIR, is_skipped

__all__ = [
    "STATE_DIR",
    "TIERS",
    "DataLakeBlobProvider",
    "LocalStorage",
    "S3Storage",
    "StorageProvider",
    "Tier",
    "is_skipped",
    "open_storage",
    "parse_tier",
]

SUPPORTED_SCHEMES = ("file", "az", "s3")


def open_storage(url: str | None = None, settings: Settings | None = None) -> StorageProvider:
    """The provider a storage URL names (default: ``settings.resolved_storage_url()``).

    ``file:///abs/path`` is a folder, ``az://container/prefix`` an Azure container (credentials
    from ``PIXCRAWLER_AZURE_CONNECTION_STRING`` or ``PIXCRAWLER_AZURE_ACCOUNT_URL``), and
    ``s3://bucket/prefix`` an S3 bucket (``PIXCRAWLER_S3_ENDPOINT_URL``, ``PIXCRAWLER_S3_REGION``).

    Raises:
        ValueError: an unsupported scheme, or a URL missing its path, container or bucket.
    """
    resolved = settings or get_settings()
    target = url or resolved.resolved_storage_url()
    parts = urlsplit(target)
    if parts.scheme == "file":
        return LocalStorage(_local_root(target, parts.netloc, parts.path))
    if parts.scheme not in SUPPORTED_SCHEMES:
        supported = ", ".join(f"{scheme}://" for scheme in SUPPORTED_SCHEMES)
        raise ValueError(f"unsupported storage URL {target!r}: use one of {supported}")
    if not parts.netloc:
        raise ValueError(f"storage URL {target!r} names no container or bucket")
    prefix = unquote(parts.path).strip("/")
    if parts.scheme == "az":
        from pixcrawler.backend.storage.datalake_blob_provider import DataLakeBlobProvider

        return DataLakeBlobProvider(
            parts.netloc,
            prefix,
            connection_string=resolved.azure_connection_string or None,
            account_url=resolved.azure_account_url or None,
            settings=resolved,
        )
    from pixcrawler.backend.storage.s3 import S3Storage

    return S3Storage(
        parts.netloc,
        prefix,
        endpoint_url=resolved.s3_endpoint_url or None,
        region=resolved.s3_region,
        settings=resolved,
    )


def _local_root(url: str, host: str, path: str) -> Path:
    if host not in {"", "localhost"} or not path.startswith("/"):
        raise ValueError(f"storage URL {url!r} must be file:///absolute/path")
    return Path(url2pathname(path))


def __getattr__(name: str) -> Any:
    if name == "DataLakeBlobProvider":
        from pixcrawler.backend.storage.datalake_blob_provider import DataLakeBlobProvider

        return DataLakeBlobProvider
    if name == "S3Storage":
        from pixcrawler.backend.storage.s3 import S3Storage

        return S3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
