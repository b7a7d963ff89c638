"""package_dataset: contents, layout, checksums, atomic output and bad input, for every format."""

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from compress_samples import Extract

from pixcrawler.utility.compress import (
    ARCHIVE_FORMATS,
    ArchiveFormat,
    PackagingError,
    package_dataset,
)
from pixcrawler.utility.compress._checksums import HashingReader

SUFFIX: dict[ArchiveFormat, str] = {"zip": ".zip", "7z": ".7z", "tar.zst": ".tar.zst"}


def dataset_files(root: Path) -> dict[str, bytes]:
    """What an archive of ``root`` must hold: its files minus state, hidden and partial files."""
    wanted = {"metadata.jsonl", "manifest.jsonl", "README.md", "report.html"}
    files = {}
    for path in root.rglob("*"):
        name = path.relative_to(root).as_posix()
        top = name.split("/")[0]
        skip = any(part.startswith(".") for part in name.split("/")) or name.endswith(".part")
        if path.is_file() and not skip and (top in {"images", "labels"} or name in wanted):
            files[f"{root.name}/{name}"] = path.read_bytes()
    return files


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_round_trip_holds_exactly_the_dataset_files(
    dataset: Path, extract: Extract, fmt: ArchiveFormat
) -> None:
    result = package_dataset(dataset, fmt=fmt)

    members = extract(result.path)
    assert result.path == dataset.parent / f"pets{SUFFIX[fmt]}"
    assert members.pop("pets/SHA256SUMS")
    assert members == dataset_files(dataset)
    assert result.files == len(members)
    assert result.bytes_in == sum(len(data) for data in members.values())
    assert result.bytes_out == result.path.stat().st_size
    assert result.format == fmt


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_state_partial_hidden_and_stray_files_are_left_out(
    dataset: Path, extract: Extract, fmt: ArchiveFormat
) -> None:
    names = set(extract(package_dataset(dataset, fmt=fmt).path))

    assert all(name.startswith("pets/") for name in names)
    assert not [name for name in names if "/." in name or name.endswith(".part")]
    assert "pets/notes.txt" not in names
    assert {"pets/metadata.jsonl", "pets/labels/classes.json", "pets/README.md"} <= names


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_sha256sums_lists_every_other_member(
    dataset: Path, extract: Extract, fmt: ArchiveFormat
) -> None:
    result = package_dataset(dataset, fmt=fmt)

    members = extract(result.path)
    lines = members.pop(result.checksum_manifest).decode().splitlines()
    listed = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert listed == {
        name.removeprefix("pets/"): hashlib.sha256(data).hexdigest()
        for name, data in members.items()
    }
    assert lines == sorted(lines, key=lambda line: line.split("  ", 1)[1])


def test_sidecar_holds_the_archive_sha256_in_sha256sum_format(dataset: Path) -> None:
    result = package_dataset(dataset, fmt="zip")

    digest = hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert result.sidecar == result.path.with_name("pets.zip.sha256")
    assert result.sidecar.read_text() == f"{digest}  pets.zip\n"
    assert result.sha256 == digest


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs GNU sha256sum")
def test_checksums_pass_sha256sum_check(dataset: Path, tmp_path: Path) -> None:
    result = package_dataset(dataset, fmt="zip", out=tmp_path / "out" / "pets.zip")
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(tmp_path / "unpacked")

    checks = [
        (tmp_path / "unpacked" / "pets", "SHA256SUMS"),
        (result.path.parent, "pets.zip.sha256"),
    ]
    for folder, sums in checks:
        subprocess.run(["sha256sum", "--check", "--quiet", sums], cwd=folder, check=True)


def test_zip_stores_images_and_deflates_text(dataset: Path) -> None:
    with zipfile.ZipFile(package_dataset(dataset, fmt="zip").path) as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}

    images = [name for name in kinds if "/images/" in name]
    assert images and all(kinds[name] == zipfile.ZIP_STORED for name in images)
    texts = [name for name in kinds if "/images/" not in name]
    assert all(kinds[name] == zipfile.ZIP_DEFLATED for name in texts)


@pytest.mark.skipif(shutil.which("zstd") is None, reason="needs the zstd command")
def test_tar_zst_lists_with_gnu_tar(dataset: Path) -> None:
    result = package_dataset(dataset, fmt="tar.zst")

    listing = subprocess.run(
        ["tar", "--zstd", "-tf", str(result.path)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "pets/metadata.jsonl" in listing


def test_same_dataset_gives_identical_bytes(dataset: Path, tmp_path: Path) -> None:
    first = package_dataset(dataset, fmt="tar.zst", out=tmp_path / "a.tar.zst")
    second = package_dataset(dataset, fmt="tar.zst", out=tmp_path / "b.tar.zst")

    assert first.sha256 == second.sha256


def test_progress_counts_every_member(dataset: Path) -> None:
    calls: list[tuple[int, int]] = []

    result = package_dataset(
        dataset, fmt="zip", progress=lambda done, total: calls.append((done, total))
    )

    assert calls == [(done, result.files) for done in range(result.files + 1)]


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_a_failure_mid_way_leaves_the_old_archive_and_no_temporaries(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: ArchiveFormat
) -> None:
    out = tmp_path / "shipped" / f"pets{SUFFIX[fmt]}"
    old = package_dataset(dataset, fmt=fmt, out=out)
    old_bytes, old_sidecar = out.read_bytes(), old.sidecar.read_text()
    original_read, reads = HashingReader.read, []

    def failing_read(self: HashingReader, size: int | None = -1, /) -> bytes:
        reads.append(size)
        if len(reads) > 12:
            raise PermissionError(13, "Permission denied", "pets/images/dog/x.jpg")
        return original_read(self, size)

    monkeypatch.setattr(HashingReader, "read", failing_read)
    with pytest.raises(PackagingError, match="Permission denied"):
        package_dataset(dataset, fmt=fmt, out=out)

    assert out.read_bytes() == old_bytes
    assert old.sidecar.read_text() == old_sidecar
    assert sorted(path.name for path in out.parent.iterdir()) == [out.name, old.sidecar.name]


def test_a_new_archive_replaces_an_old_one(dataset: Path, extract: Extract) -> None:
    first = package_dataset(dataset, fmt="zip")
    (dataset / "images" / "cat" / "added.png").write_bytes(b"\x89PNG not really")

    second = package_dataset(dataset, fmt="zip")

    assert second.path == first.path
    assert "pets/images/cat/added.png" in extract(second.path)
    assert second.sidecar.read_text().startswith(second.sha256)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fmt": "rar"}, "unknown archive format 'rar'"),
        ({"fmt": "zip", "quality": 0}, "quality must be between 1 and 100"),
        ({"fmt": "zip", "quality": 101}, "quality must be between 1 and 100"),
        ({"fmt": "zip", "recompress": "jxl"}, "unknown recompression format 'jxl'"),
    ],
)
def test_bad_options_are_refused_before_writing(
    dataset: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(PackagingError, match=message):
        package_dataset(dataset, **options)

    assert sorted(path.name for path in dataset.parent.iterdir()) == ["pets"]


def test_a_folder_without_metadata_is_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "images" / "cat").mkdir(parents=True)

    with pytest.raises(PackagingError, match="not a PixCrawler dataset"):
        package_dataset(tmp_path, fmt="zip")
    with pytest.raises(PackagingError, match="not a directory"):
        package_dataset(tmp_path / "missing", fmt="zip")


def test_an_output_path_that_is_a_folder_is_refused(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="is a directory"):
        package_dataset(dataset, fmt="zip", out=tmp_path)
