"""The ``StorageProvider`` protocol and the dataset-folder copy every provider shares."""

import mimetypes
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, Protocol, get_args, runtime_checkable

from pixcrawler.backend.storage._keys import (
    STATE_DIR,
    is_skipped,
    join_key,
    tree_prefix,
    validate_key,
)
from pixcrawler.errors import BadRequestError

#: Access tiers, named after Azure's (Hot/Cool/Archive); providers without tiers ignore them.
Tier = Literal["hot", "cool", "archive"]
TIERS: tuple[Tier, ...] = get_args(Tier)
#: Files a tree copy moves at once; object stores are latency-bound, so a few in flight pay off.
TREE_WORKERS = 8

_Transfer = tuple[str, Path]


def parse_tier(value: str) -> Tier:
    """``value`` as a :data:`Tier` (case-insensitive); :class:`BadRequestError` otherwise."""
    lowered = value.lower()
    for tier in TIERS:
        if tier == lowered:
            return tier
    raise BadRequestError(f"bad tier {value!r}: expected one of {', '.join(TIERS)}")


def require_source_file(data: bytes | Path) -> None:
    """Fail fast, before any retry, when an upload's source file is missing.

    Raises:
        FileNotFoundError: ``data`` is a ``Path`` that is not a regular file (a caller bug).
    """
    if isinstance(data, Path) and not data.is_file():
        raise FileNotFoundError(f"no such file to upload: {data}")


def content_type_for(key: str, content_type: str | None) -> str | None:
    """``content_type``, or the type the key's extension implies, so URLs serve images inline."""
    return content_type or mimetypes.guess_type(key, strict=False)[0]


@runtime_checkable
class StorageProvider(Protocol):
    """A flat key → bytes store under one prefix (a folder, an Azure container, an S3 bucket).

    Keys are "/"-separated and relative to the provider's prefix. Failures are PixCrawler errors:
    a bad key is :class:`BadRequestError`, a missing object :class:`NotFoundError`, refused
    credentials :class:`AuthenticationError`, network trouble a ``TransientError`` raised after
    the one retry policy's attempts.
    """

    def put(
        self,
        key: str,
        data: bytes | Path,
        *,
        content_type: str | None = None,
        tier: Tier | None = None,
    ) -> None:
        """Store ``data`` at ``key``, replacing it; a ``Path`` is streamed, never read whole."""

    def get(self, key: str) -> bytes:
        """The bytes stored at ``key``."""

    def download(self, key: str, dest: Path) -> None:
        """Stream ``key`` into ``dest`` atomically (a temporary sibling, then a rename)."""

    def exists(self, key: str) -> bool:
        """True if an object is stored at ``key``."""

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix`` (a plain string prefix), sorted."""

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""

    def url(self, key: str, *, expires: int = 3600) -> str:
        """A URL that reads ``key`` for ``expires`` seconds (signed where the provider can)."""

    def set_tier(self, key: str, tier: Tier) -> bool:
        """Move ``key`` to an access tier; False where the provider or service has none."""

    def put_tree(self, root: Path, prefix: str) -> int:
        """Upload the files under ``root`` to ``prefix/…``; returns how many were stored."""

    def get_tree(self, prefix: str, dest: Path) -> int:
        """Download every key under ``prefix/`` into ``dest``; returns how many were written."""


class StorageBase(ABC):
    """The folder copies (``put_tree``/``get_tree``) written once over the per-key methods."""

    @abstractmethod
    def put(
        self,
        key: str,
        data: bytes | Path,
        *,
        content_type: str | None = None,
        tier: Tier | None = None,
    ) -> None: ...

    @abstractmethod
    def download(self, key: str, dest: Path) -> None: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]: ...

    def put_tree(self, root: Path, prefix: str) -> int:
        """Upload the files under ``root`` (not ``.pixcrawler/`` nor ``*.part``) to ``prefix/``.

        Raises:
            NotADirectoryError: ``root`` is not a folder.
        """
        if not root.is_dir():
            raise NotADirectoryError(f"not a folder: {root}")
        folder = tree_prefix(prefix)
        pairs = [(folder + relative, root / relative) for relative in _tree_files(root)]
        _run_all(lambda pair: self.put(*pair), pairs)
        return len(pairs)

    def get_tree(self, prefix: str, dest: Path) -> int:
        """Download the keys under ``prefix/`` (not ``.pixcrawler/``, ``*.part``) into ``dest``."""
        folder = tree_prefix(prefix)
        pairs = [
            (key, dest.joinpath(*key[len(folder) :].split("/")))
            for key in self.list(folder)
            if not is_skipped(key[len(folder) :])
        ]
        _run_all(lambda pair: self.download(*pair), pairs)
        return len(pairs)


def _run_all(action: Callable[[_Transfer], None], pairs: list[_Transfer]) -> None:
    """Run ``action`` over ``pairs`` on a few threads; the first failure is raised."""
    if len(pairs) <= 1:
        for pair in pairs:
            action(pair)
        return
    with ThreadPoolExecutor(max_workers=min(TREE_WORKERS, len(pairs))) as pool:
        futures = [pool.submit(action, pair) for pair in pairs]
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)  # queued copies are dropped, in-flight finish
            raise


def _tree_files(root: Path) -> list[str]:
    """Sorted "/"-relative paths of the regular files under ``root`` a tree copy keeps."""
    found: list[str] = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if name != STATE_DIR)
        base = Path(folder).relative_to(root).as_posix()
        for name in filenames:
            relative = name if base == "." else join_key(base, name)
            if not is_skipped(relative) and (Path(folder) / name).is_file():
                found.append(validate_key(relative))
    return sorted(found)
