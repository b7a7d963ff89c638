"""``LocalStorage`` specifics: atomic writes, fsync, tidy folders, file errors."""

import os
import shutil
from pathlib import Path

import pytest

from pixcrawler.backend.storage import LocalStorage
from pixcrawler.errors import InfrastructureError, NotFoundError


def test_a_failed_write_leaves_neither_file_nor_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(tmp_path / "store")
    source = tmp_path / "source.bin"
    source.write_bytes(b"payload")
    storage.put("a/b.bin", b"old")

    def broken_copy(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", broken_copy)
    with pytest.raises(InfrastructureError, match="No space left"):
        storage.put("a/b.bin", source)

    assert storage.get("a/b.bin") == b"old"  # the previous version is intact
    assert sorted(p.name for p in (tmp_path / "store" / "a").iterdir()) == ["b.bin"]


def test_fsync_is_optional(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))

    LocalStorage(tmp_path / "fast").put("x", b"1")
    assert synced == []
    LocalStorage(tmp_path / "safe", fsync=True).put("x", b"1")
    assert len(synced) == 1


def test_half_written_temporaries_are_not_listed(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put("a/kept.jpg", b"k")
    (tmp_path / "a" / ".kept.jpg.1234abcd.part").write_bytes(b"half")

    assert list(storage.list()) == ["a/kept.jpg"]


def test_delete_removes_the_folders_it_empties_but_not_the_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    storage.put("a/b/c.txt", b"c")
    storage.put("a/d.txt", b"d")

    storage.delete("a/b/c.txt")
    assert not (tmp_path / "store" / "a" / "b").exists()
    storage.delete("a/d.txt")
    assert list((tmp_path / "store").iterdir()) == []


def test_a_folder_key_is_not_found(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put("a/b.txt", b"b")

    with pytest.raises(NotFoundError):
        storage.get("a")


def test_list_of_a_root_that_does_not_exist_yet_is_empty(tmp_path: Path) -> None:
    assert list(LocalStorage(tmp_path / "never").list()) == []


def test_url_is_a_file_uri(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    assert storage.url("a b/c.jpg") == (tmp_path / "a b" / "c.jpg").resolve().as_uri()


def test_put_tree_of_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")

    with pytest.raises(NotADirectoryError):
        LocalStorage(tmp_path / "store").put_tree(tmp_path / "file", "p")
