"""``DataLakeBlobProvider``: Azure Blob Storage / Data Lake Gen2 through the Blob API."""

from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import (
    BlobClient,
    BlobProperties,
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    StandardBlobTier,
    generate_blob_sas,
)

from pixcrawler.backend.storage._azure_transport import SingleReadTransport
from pixcrawler.backend.storage._calls import call_with_retry
from pixcrawler.backend.storage._errors import translate_azure_error
from pixcrawler.backend.storage._keys import join_key, validate_key, validate_prefix
from pixcrawler.backend.storage.base import (
    StorageBase,
    Tier,
    content_type_for,
    require_source_file,
)
from pixcrawler.backend.storage.local import atomic_file
from pixcrawler.config import Settings, get_settings
from pixcrawler.errors import AuthenticationError, NotFoundError, PermanentError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

T = TypeVar("T")
#: Metadata flag of a directory blob in a hierarchical-namespace (Data Lake Gen2) account.
_FOLDER_MARKER = "hdi_isfolder"
_TIERS: dict[Tier, StandardBlobTier] = {
    "hot": StandardBlobTier.HOT,
    "cool": StandardBlobTier.COOL,
    "archive": StandardBlobTier.ARCHIVE,
}


class DataLakeBlobProvider(StorageBase):
    """Objects are blobs named ``prefix/key`` in one container (created on first write).

    Uses the Blob API only, which Data Lake Gen2 accounts serve too (and Azurite emulates).
    The SDK's retries are off (``retry_total=0``, and its body-read loop bypassed by
    ``SingleReadTransport``): PixCrawler's retry policy is the one layer.

    Args:
        container: The container's name.
        prefix: Folder inside the container every key lives under ("" for the root).
        connection_string: With ``AccountKey=…``, also lets :meth:`url` sign SAS URLs.
        account_url: ``https://<account>.blob.core.windows.net`` when there is no connection
            string; ``credential`` is then an account key, a SAS token or None (public).
        max_concurrency: Parallel block transfers for one large upload or download.
    """

    def __init__(
        self,
        container: str,
        prefix: str = "",
        *,
        connection_string: str | None = None,
        account_url: str | None = None,
        credential: str | None = None,
        max_concurrency: int = 4,
        settings: Settings | None = None,
    ) -> None:
        self.container = container
        self.prefix = validate_prefix(prefix).strip("/")
        self.max_concurrency = max_concurrency
        self.service = _service_client(
            connection_string, account_url, credential, settings or get_settings()
        )
        self._container = self.service.get_container_client(container)
        self._container_ready = False

    def __repr__(self) -> str:
        return f"DataLakeBlobProvider({self.service.url!r}, {self.container!r}, {self.prefix!r})"

    def put(
        self,
        key: str,
        data: bytes | Path,
        *,
        content_type: str | None = None,
        tier: Tier | None = None,
    ) -> None:
        """Upload ``data`` (a ``Path`` streams in blocks, ``max_concurrency`` at once)."""
        blob = self._blob(key)
        require_source_file(data)
        options: dict[str, Any] = {
            "overwrite": True,
            "max_concurrency": self.max_concurrency,
            "content_settings": ContentSettings(content_type=content_type_for(key, content_type)),
            "standard_blob_tier": _TIERS[tier] if tier else None,
        }

        def upload() -> None:
            if isinstance(data, Path):
                with data.open("rb") as stream:  # reopened per attempt: a retry starts over
                    blob.upload_blob(stream, length=data.stat().st_size, **options)
            else:
                blob.upload_blob(data, length=len(data), **options)

        self._ensure_container()
        self._call("put", key, upload)

    def get(self, key: str) -> bytes:
        """The blob's bytes."""
        blob = self._blob(key)
        return self._call(
            "get", key, lambda: blob.download_blob(max_concurrency=self.max_concurrency).readall()
        )

    def download(self, key: str, dest: Path) -> None:
        """Stream the blob into ``dest`` through a temporary sibling file."""
        blob = self._blob(key)

        def fetch() -> None:
            with atomic_file(dest) as handle:
                blob.download_blob(max_concurrency=self.max_concurrency).readinto(handle)

        self._call("download", key, fetch)

    def exists(self, key: str) -> bool:
        """True if the blob exists (False too when the container does not)."""
        return self._call("exists", key, self._blob(key).exists)

    def list(self, prefix: str = "") -> Iterator[str]:
        """Sorted keys under ``prefix``, relative to the provider's prefix."""
        base = f"{self.prefix}/" if self.prefix else ""
        start = base + validate_prefix(prefix)

        def names() -> list[str]:
            listing = self._container.list_blobs(name_starts_with=start, include=["metadata"])
            try:
                return sorted(blob.name[len(base) :] for blob in listing if not _is_folder(blob))
            except ResourceNotFoundError:  # no container yet: nothing stored
                return []

        return iter(self._call("list", start, names))

    def delete(self, key: str) -> None:
        """Delete the blob and its snapshots; a missing blob is fine."""
        blob = self._blob(key)

        def remove() -> None:
            with suppress(ResourceNotFoundError):
                blob.delete_blob(delete_snapshots="include")

        self._call("delete", key, remove)

    def url(self, key: str, *, expires: int = 3600) -> str:
        """A read-only SAS URL valid ``expires`` seconds, or the plain blob URL without a key."""
        blob = self._blob(key)
        account_key = getattr(self.service.credential, "account_key", None)
        if not isinstance(account_key, str) or not blob.account_name:
            return blob.url
        sas = generate_blob_sas(
            account_name=blob.account_name,
            container_name=self.container,
            blob_name=blob.blob_name,
            account_key=account_key,
            permission=BlobSasPermissions(read=True),
            expiry=datetime.now(UTC) + timedelta(seconds=expires),
        )
        return f"{blob.url}?{sas}"

    def set_tier(self, key: str, tier: Tier) -> bool:
        """Set the blob's access tier; False (logged) when the service refuses tiers."""
        blob = self._blob(key)
        try:
            self._call("set_tier", key, lambda: blob.set_standard_blob_tier(_TIERS[tier]))
        except (NotFoundError, AuthenticationError):
            raise
        except PermanentError as error:  # e.g. an emulator or account kind without tiers
            logger.bind(operation="set_tier", key=key, error_type=type(error).__name__).info(
                "access tier refused: {reason}", reason=error.reason
            )
            return False
        return True

    def _blob(self, key: str) -> BlobClient:
        return self._container.get_blob_client(join_key(self.prefix, validate_key(key)))

    def _call(self, operation: str, key: str, call: Callable[[], T]) -> T:
        return call_with_retry(operation, key, call, translate_azure_error)

    def _ensure_container(self) -> None:
        """Create the container once per provider; an existing one is fine (idempotent)."""
        if self._container_ready:
            return

        def create() -> None:
            with suppress(ResourceExistsError):
                self._container.create_container()

        self._call("create_container", self.container, create)
        self._container_ready = True


def _is_folder(blob: BlobProperties) -> bool:
    """Data Lake Gen2 (hierarchical) accounts list their directories as empty marker blobs."""
    return (blob.metadata or {}).get(_FOLDER_MARKER) == "true"


def _service_client(
    connection_string: str | None,
    account_url: str | None,
    credential: str | None,
    settings: Settings,
) -> BlobServiceClient:
    timeouts = {
        "connection_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
    }
    options: dict[str, Any] = {
        "retry_total": 0,  # one retry layer: ours (the SDK's retry policy off) ...
        "transport": SingleReadTransport(**timeouts),  # ... and its body-read loop bypassed
        **timeouts,
    }
    if connection_string:
        return BlobServiceClient.from_connection_string(connection_string, **options)
    if account_url:
        return BlobServiceClient(account_url, credential=credential, **options)
    raise ValueError(
        "Azure storage needs a connection string (PIXCRAWLER_AZURE_CONNECTION_STRING) "
        "or an account URL (PIXCRAWLER_AZURE_ACCOUNT_URL)"
    )
