"""Hard links instead of copies between a worker's disk and a local storage folder.

Only for files nobody writes to again: a chunk's images, whose work folder is deleted right
after they are stored, and a dataset tree read once to package it. Images are
content-addressed, so an existing key already holds the same bytes. A storage that syncs every
write (``fsync``), a cloud store, or another file system gets ordinary copies.
"""

import os
import shutil
from pathlib import Path

from pixcrawler.backend.storage import StorageProvider, is_skipped
from pixcrawler.backend.storage.local import LocalStorage


def store_once(storage: StorageProvider, key: str, path: Path) -> None:
    """Store the file at ``path`` under ``key`` unless the key exists; the caller then deletes
    ``path``."""
    folder = _link_root(storage)
    if folder is not None and _linked(path, folder.joinpath(*key.split("/"))):
        return
    if not storage.exists(key):
        storage.put(key, path)  # also what reports a folder that cannot be written


def _linked(path: Path, target: Path) -> bool:
    """Whether ``target`` now holds ``path``'s file: linked here, or there already."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)  # atomic: the name appears with the whole file behind it
    except FileExistsError:
        return target.is_file()
    except OSError:
        return False  # another file system, or no links: the caller copies
    return True


def fetch_tree(storage: StorageProvider, prefix: str, dest: Path) -> None:
    """The files under ``prefix/`` as a folder at ``dest``, which the caller only reads."""
    folder = _link_root(storage)
    if folder is not None:
        try:
            shutil.copytree(folder.joinpath(*prefix.split("/")), dest, copy_function=os.link,
                            ignore=_skipped)  # fmt: skip
            return
        except OSError:
            shutil.rmtree(dest, ignore_errors=True)
    storage.get_tree(prefix, dest)


def _link_root(storage: StorageProvider) -> Path | None:
    if isinstance(storage, LocalStorage) and not storage.fsync:
        return storage.root
    return None


def _skipped(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if is_skipped(name)}
