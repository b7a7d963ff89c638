"""verify_archive: clean archives pass; corruption, tampering, missing and extra members do not."""

import io
import shutil
from pathlib import Path

import pytest
from compress_samples import Extract

from pixcrawler.utility.compress import (
    ARCHIVE_FORMATS,
    ArchiveFormat,
    PackagingError,
    package_dataset,
    verify_archive,
)
from pixcrawler.utility.compress._writers import open_writer


def rebuild(members: dict[str, bytes], fmt: ArchiveFormat, path: Path) -> Path:
    """Write ``members`` as a new archive, in order, without any sidecar."""
    with open_writer(fmt, path) as writer:
        for name, data in members.items():
            writer.add(name, io.BytesIO(data), len(data), 0.0, compress=True)
    return path


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_a_fresh_archive_verifies(dataset: Path, fmt: ArchiveFormat) -> None:
    result = package_dataset(dataset, fmt=fmt)

    verdict = verify_archive(result.path)

    assert verdict.ok, verdict.problems
    assert verdict.checked == result.files
    assert verdict.problems == []


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_a_flipped_byte_fails_the_sidecar_check(
    dataset: Path, tmp_path: Path, fmt: ArchiveFormat
) -> None:
    result = package_dataset(dataset, fmt=fmt)
    (tmp_path / "copy").mkdir()
    copy = Path(shutil.copy(result.path, tmp_path / "copy"))
    shutil.copy(result.sidecar, tmp_path / "copy")
    flip_byte(copy, copy.stat().st_size // 2)

    verdict = verify_archive(copy)

    assert not verdict.ok
    assert f"archive SHA-256 differs from {copy.name}.sha256" in verdict.problems


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
def test_a_flipped_byte_in_member_data_is_found_without_a_sidecar(
    dataset: Path, tmp_path: Path, fmt: ArchiveFormat
) -> None:
    result = package_dataset(dataset, fmt=fmt, out=tmp_path / f"copy.{fmt}")
    result.sidecar.unlink()
    image = next((dataset / "images" / "dog").glob("*.png")).read_bytes()
    stored_at = result.path.read_bytes().find(image[200:260])  # Only ZIP stores images verbatim.
    flip_byte(result.path, stored_at + 10 if stored_at >= 0 else result.path.stat().st_size // 2)

    verdict = verify_archive(result.path)

    assert not verdict.ok
    assert verdict.problems


def test_a_damaged_zip_member_is_named_and_the_others_still_checked(
    dataset: Path, tmp_path: Path
) -> None:
    result = package_dataset(dataset, fmt="zip", out=tmp_path / "damaged.zip")
    result.sidecar.unlink()
    png = next((dataset / "images" / "dog").glob("*.png"))
    flip_byte(result.path, result.path.read_bytes().find(png.read_bytes()[200:260]))

    verdict = verify_archive(result.path)

    name = f"pets/{png.relative_to(dataset).as_posix()}"
    assert verdict.problems == [f"cannot read {name}: BadZipFile: Bad CRC-32 for file '{name}'"]
    assert verdict.checked == result.files - 1


@pytest.mark.parametrize("fmt", ARCHIVE_FORMATS)
@pytest.mark.parametrize("change", ["tampered", "missing", "extra"])
def test_members_are_checked_against_sha256sums(
    dataset: Path, tmp_path: Path, extract: Extract, fmt: ArchiveFormat, change: str
) -> None:
    members = extract(package_dataset(dataset, fmt=fmt).path)
    image = next(name for name in members if name.endswith(".png"))
    if change == "tampered":
        members[image] = members[image] + b"\x00"
    elif change == "missing":
        del members[image]
    else:
        members["pets/images/cat/smuggled.jpg"] = b"not in the sums"

    verdict = verify_archive(rebuild(members, fmt, tmp_path / f"changed.{fmt}"))

    expected = {
        "tampered": f"checksum mismatch {image}",
        "missing": f"missing member {image}",
        "extra": "unlisted member pets/images/cat/smuggled.jpg",
    }[change]
    assert verdict.problems == [expected]
    assert not verdict.ok


def test_an_archive_without_sha256sums_fails(
    dataset: Path, tmp_path: Path, extract: Extract
) -> None:
    members = extract(package_dataset(dataset, fmt="zip").path)
    del members["pets/SHA256SUMS"]

    verdict = verify_archive(rebuild(members, "zip", tmp_path / "bare.zip"))

    assert verdict.problems == ["no SHA256SUMS at the top of the archive"]


def test_a_malformed_sha256sums_is_a_problem(
    dataset: Path, tmp_path: Path, extract: Extract
) -> None:
    members = extract(package_dataset(dataset, fmt="zip").path)
    members["pets/SHA256SUMS"] = b"not a checksum line\n"

    verdict = verify_archive(rebuild(members, "zip", tmp_path / "odd.zip"))

    assert verdict.problems == [
        "pets/SHA256SUMS is unreadable: SHA256SUMS line 1 is not in sha256sum format"
    ]


def test_a_truncated_archive_is_reported_not_raised(dataset: Path, tmp_path: Path) -> None:
    result = package_dataset(dataset, fmt="tar.zst", out=tmp_path / "short.tar.zst")
    result.sidecar.unlink()
    result.path.write_bytes(result.path.read_bytes()[: result.bytes_out // 2])

    verdict = verify_archive(result.path)

    assert not verdict.ok
    assert verdict.problems[0].startswith("archive cannot be read")


def test_not_an_archive_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.zip"
    text.write_text("hello")

    with pytest.raises(PackagingError, match=r"not a zip, 7z or tar\.zst archive"):
        verify_archive(text)
    with pytest.raises(PackagingError, match="is not a file"):
        verify_archive(tmp_path / "absent.zip")
