"""The storage protocol's behaviour, run alike against a folder, Azurite and moto S3."""

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx
import pytest

from pixcrawler.backend.storage import StorageProvider
from pixcrawler.errors import BadRequestError, NotFoundError

BAD_KEYS = ["", "/a", "a//b", "a/", "a/../b", "..", "./a", "a\\b", "a\nb"]


def _provider_kind(provider: StorageProvider) -> str:
    return type(provider).__name__


def _read_url(url: str) -> httpx.Response | bytes:
    if url.startswith("file://"):
        return Path(url2pathname(urlsplit(url).path)).read_bytes()
    return httpx.get(url)


def test_put_bytes_then_get_exists_and_overwrite(provider: StorageProvider) -> None:
    provider.put("images/cat/a.jpg", b"first")
    provider.put("images/cat/a.jpg", b"second")

    assert provider.get("images/cat/a.jpg") == b"second"
    assert provider.exists("images/cat/a.jpg")
    assert not provider.exists("images/cat/b.jpg")
    assert not provider.exists("images/cat")  # a "folder" is not an object


def test_put_path_and_download_stream_whole_files(
    provider: StorageProvider, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    payload = bytes(range(256)) * 8192  # 2 MiB, several chunks for every provider
    source.write_bytes(payload)

    provider.put("blobs/big.bin", source)
    dest = tmp_path / "out" / "nested" / "big.bin"
    provider.download("blobs/big.bin", dest)

    assert provider.get("blobs/big.bin") == payload
    assert dest.read_bytes() == payload
    assert sorted(p.name for p in dest.parent.iterdir()) == ["big.bin"]  # no temporary left


def test_put_missing_source_file_is_a_caller_error(
    provider: StorageProvider, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        provider.put("x.bin", tmp_path / "absent.bin")


def test_list_is_sorted_relative_and_filtered_by_string_prefix(provider: StorageProvider) -> None:
    assert list(provider.list()) == []
    for key in ["b/1", "a/2", "a/1", "ab", "a/sub/3"]:
        provider.put(key, key.encode())

    assert list(provider.list()) == ["a/1", "a/2", "a/sub/3", "ab", "b/1"]
    assert list(provider.list("a/")) == ["a/1", "a/2", "a/sub/3"]
    assert list(provider.list("a")) == ["a/1", "a/2", "a/sub/3", "ab"]
    assert list(provider.list("zzz/")) == []


def test_delete_is_idempotent(provider: StorageProvider) -> None:
    provider.put("gone/x.txt", b"x")
    provider.put("kept.txt", b"k")

    provider.delete("gone/x.txt")
    provider.delete("gone/x.txt")
    provider.delete("never/there.txt")

    assert not provider.exists("gone/x.txt")
    assert list(provider.list()) == ["kept.txt"]


def test_missing_key_is_not_found(provider: StorageProvider, tmp_path: Path) -> None:
    provider.put("present.txt", b"p")  # the container or bucket exists: only the key is missing

    with pytest.raises(NotFoundError):
        provider.get("absent.txt")
    with pytest.raises(NotFoundError):
        provider.download("absent.txt", tmp_path / "absent.txt")
    assert not (tmp_path / "absent.txt").exists()


def test_url_reads_the_object(provider: StorageProvider) -> None:
    provider.put("images/dog/b.png", b"\x89PNG not really")

    fetched = _read_url(provider.url("images/dog/b.png", expires=600))

    if isinstance(fetched, bytes):
        assert fetched == b"\x89PNG not really"
    else:
        assert fetched.status_code == 200
        assert fetched.content == b"\x89PNG not really"
        assert fetched.headers["content-type"] == "image/png"  # guessed from the key


def test_explicit_content_type_is_served(remote_provider: StorageProvider) -> None:
    remote_provider.put("notes", b"{}", content_type="application/json")

    response = httpx.get(remote_provider.url("notes"))

    assert response.headers["content-type"] == "application/json"


def test_tree_round_trip_leaves_out_state_and_partial_files(
    provider: StorageProvider, tmp_path: Path
) -> None:
    dataset = tmp_path / "dataset"
    files = {
        "images/cat/a.jpg": b"cat",
        "images/dog/b.png": b"dog",
        "manifest.jsonl": b"{}\n",
    }
    for relative, content in files.items():
        (dataset / relative).parent.mkdir(parents=True, exist_ok=True)
        (dataset / relative).write_bytes(content)
    (dataset / ".pixcrawler").mkdir()
    (dataset / ".pixcrawler" / "state.sqlite").write_bytes(b"state")
    (dataset / "images" / "cat" / "c.jpg.part").write_bytes(b"half")

    assert provider.put_tree(dataset, "runs/r1") == 3
    assert list(provider.list("runs/")) == sorted(f"runs/r1/{key}" for key in files)

    restored = tmp_path / "restored"
    assert provider.get_tree("runs/r1", restored) == 3
    found = {
        path.relative_to(restored).as_posix(): path.read_bytes()
        for path in restored.rglob("*")
        if path.is_file()
    }
    assert found == files


def test_get_tree_of_an_unknown_prefix_copies_nothing(
    provider: StorageProvider, tmp_path: Path
) -> None:
    provider.put("runs/r10/x.txt", b"x")  # "runs/r1" must not match "runs/r10"

    assert provider.get_tree("runs/r1", tmp_path / "out") == 0


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused_before_any_request(provider: StorageProvider, key: str) -> None:
    for call in (
        lambda: provider.put(key, b"x"),
        lambda: provider.get(key),
        lambda: provider.exists(key),
        lambda: provider.delete(key),
        lambda: provider.url(key),
        lambda: provider.set_tier(key, "cool"),
    ):
        with pytest.raises(BadRequestError):
            call()


def test_bad_list_prefix_is_refused(provider: StorageProvider) -> None:
    with pytest.raises(BadRequestError):
        list(provider.list("a/../b"))


def test_set_tier_where_supported(provider: StorageProvider) -> None:
    supported = _provider_kind(provider) == "DataLakeBlobProvider"
    provider.put("tiered.bin", b"t", tier="cool")

    assert provider.set_tier("tiered.bin", "cool") is supported
    assert provider.set_tier("tiered.bin", "hot") is supported
    assert provider.get("tiered.bin") == b"t"
