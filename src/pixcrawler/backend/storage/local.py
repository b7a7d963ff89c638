"""``LocalStorage``: the storage protocol over a folder, with atomic writes."""

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pixcrawler.backend.storage._keys import PARTIAL_SUFFIX, validate_key, validate_prefix
from pixcrawler.backend.storage.base import StorageBase, Tier, require_source_file
from pixcrawler.errors import (
    AuthenticationError,
    InfrastructureError,
    NotFoundError,
    PixCrawlerError,
)
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

_COPY_CHUNK = 1024 * 1024


class LocalStorage(StorageBase):
    """Keys are files under ``root``; every write lands whole or not at all.

    Args:
        root: The folder holding the objects (created on first write).
        fsync: Flush each file to disk before its rename; slower, survives power loss.
    """

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root.resolve()
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def put(
        self,
        key: str,
        data: bytes | Path,
        *,
        content_type: str | None = None,
        tier: Tier | None = None,
    ) -> None:
        """Write ``data`` to ``key`` atomically; a ``Path`` is copied in chunks."""
        target = self._path(key)
        require_source_file(data)
        with _translated("put", key), atomic_file(target, fsync=self.fsync) as handle:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, handle, _COPY_CHUNK)
            else:
                handle.write(data)

    def get(self, key: str) -> bytes:
        """The bytes of ``key``."""
        with _translated("get", key):
            return self._path(key).read_bytes()

    def download(self, key: str, dest: Path) -> None:
        """Copy ``key`` to ``dest`` atomically."""
        source = self._path(key)
        with (
            _translated("download", key),
            source.open("rb") as reader,
            atomic_file(dest, fsync=self.fsync) as handle,
        ):
            shutil.copyfileobj(reader, handle, _COPY_CHUNK)

    def exists(self, key: str) -> bool:
        """True if ``key`` is a file."""
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        """Sorted keys starting with ``prefix``; half-written temporary files are not listed."""
        validate_prefix(prefix)
        start = self.root.joinpath(*prefix.split("/")[:-1])
        if not start.is_dir():
            return iter(())
        keys = (key for key in _walk(self.root, start) if key.startswith(prefix))
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        """Remove ``key`` and the folders it leaves empty; a missing key is fine."""
        path = self._path(key)
        with _translated("delete", key):
            path.unlink(missing_ok=True)
            _prune_empty(path.parent, self.root)

    def url(self, key: str, *, expires: int = 3600) -> str:
        """A ``file://`` URL; ``expires`` does not apply to files."""
        return self._path(key).as_uri()

    def set_tier(self, key: str, tier: Tier) -> bool:
        """Folders have no tiers: always False."""
        validate_key(key)
        return False

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))


@contextmanager
def atomic_file(target: Path, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """Open a hidden sibling ``.part`` file; on success (fsync and) rename it onto ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
    try:
        with partial.open("xb") as handle:
            yield handle
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _translated(operation: str, key: str) -> Iterator[None]:
    """Turn file-system errors into PixCrawler errors (a folder has no transient failures)."""
    try:
        yield
    except PixCrawlerError:
        raise
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise NotFoundError("not found", url=key) from error
    except PermissionError as error:
        raise AuthenticationError("permission denied", url=key) from error
    except OSError as error:
        logger.bind(operation=operation, key=key, error_type=type(error).__name__).warning(
            "local storage i/o failed"
        )
        reason = f"local i/o error ({error.strerror or error})"
        raise InfrastructureError(reason, url=key) from error


def _walk(root: Path, start: Path) -> Iterator[str]:
    for folder, _dirs, filenames in os.walk(start):
        base = Path(folder)
        for name in filenames:
            if not (name.startswith(".") and name.endswith(PARTIAL_SUFFIX)):
                yield (base / name).relative_to(root).as_posix()


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): stop climbing
            return
        folder = folder.parent
