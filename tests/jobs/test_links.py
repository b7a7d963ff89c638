"""Local storage gets hard links for files nobody writes again; anything else gets copies."""

from pathlib import Path

import pytest

from pixcrawler.backend.distributed._links import fetch_tree, store_once
from pixcrawler.backend.storage.local import LocalStorage


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "a.jpg"
    path.parent.mkdir()
    path.write_bytes(b"jpeg bytes")
    return path


@pytest.mark.parametrize(("fsync", "linked"), [(False, True), (True, False)])
def test_store_once_links_into_a_local_store_unless_it_syncs(
    tmp_path: Path, image: Path, fsync: bool, linked: bool
) -> None:
    storage = LocalStorage(tmp_path / "store", fsync=fsync)
    store_once(storage, "jobs/j/dataset/images/a/a.jpg", image)
    stored = tmp_path / "store/jobs/j/dataset/images/a/a.jpg"
    assert stored.read_bytes() == b"jpeg bytes"
    assert stored.samefile(image) is linked
    image.unlink()  # the caller's work folder goes; the stored file stays
    assert storage.get("jobs/j/dataset/images/a/a.jpg") == b"jpeg bytes"


def test_store_once_leaves_an_existing_key_alone(tmp_path: Path, image: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    storage.put("k/a.jpg", b"stored first")
    store_once(storage, "k/a.jpg", image)
    assert storage.get("k/a.jpg") == b"stored first"


def test_fetch_tree_links_the_files_and_skips_partial_and_state(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    storage.put("d/images/a.jpg", b"a")
    storage.put("d/manifest.jsonl", b"{}\n")
    (tmp_path / "store/d/.b.jpg.1234.part").write_bytes(b"half")
    (tmp_path / "store/d/.pixcrawler").mkdir()
    (tmp_path / "store/d/.pixcrawler/state.sqlite").write_bytes(b"state")
    out = tmp_path / "out"
    fetch_tree(storage, "d", out)
    files = sorted(path.relative_to(out).as_posix() for path in out.rglob("*"))
    assert files == ["images", "images/a.jpg", "manifest.jsonl"]
    assert (tmp_path / "out/images/a.jpg").samefile(tmp_path / "store/d/images/a.jpg")
