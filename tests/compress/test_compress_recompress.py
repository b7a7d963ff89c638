"""Recompression while packaging: new image names, rewritten references, faithful pixels."""

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from compress_samples import Extract
from PIL import Image, features

from pixcrawler.utility.compress import (
    PackagingError,
    RecompressFormat,
    package_dataset,
    verify_archive,
)
from pixcrawler.utility.compress._recompress import reencode

AVIF = pytest.param(
    "avif", marks=pytest.mark.skipif(not features.check("avif"), reason="no AVIF in this Pillow")
)


def referenced_paths(members: dict[str, bytes]) -> dict[str, set[str]]:
    """Image paths each metadata and label file refers to, read with the file's own parser."""
    text = {
        name.removeprefix("pets/"): data.decode() for name, data in members.items()
        if "/images/" not in name
    }  # fmt: skip
    csv_rows = list(csv.DictReader(io.StringIO(text["labels/labels.csv"])))
    metadata = [json.loads(line) for line in text["metadata.jsonl"].splitlines()]
    return {
        "metadata.jsonl": {row["file_name"] for row in metadata},
        "labels.json": {row["file_name"] for row in json.loads(text["labels/labels.json"])},
        "labels.csv": {row["file_name"] for row in csv_rows},
        "labels.yaml": {row["file_name"] for row in yaml.safe_load(text["labels/labels.yaml"])},
        "labels.txt": {line.split("\t")[0] for line in text["labels/labels.txt"].splitlines()},
    }  # fmt: skip


def turned(path: Path) -> bool:
    with Image.open(path) as picture:
        return bool(picture.getexif().get(0x0112) == 6)


@pytest.mark.parametrize("target", ["webp", AVIF])
def test_images_are_renamed_and_every_reference_follows(
    dataset: Path, extract: Extract, target: RecompressFormat
) -> None:
    result = package_dataset(dataset, fmt="zip", recompress=target)

    members = extract(result.path)
    images = {name.removeprefix("pets/") for name in members if "/images/" in name}
    assert images and all(name.endswith(f".{target}") for name in images)
    for file, paths in referenced_paths(members).items():
        assert paths == images, file
    assert result.recompressed == len(images)
    assert verify_archive(result.path).ok


@pytest.mark.parametrize("target", ["webp", AVIF])
def test_recompressed_images_decode_as_the_new_format(
    dataset: Path, extract: Extract, target: RecompressFormat
) -> None:
    members = extract(package_dataset(dataset, fmt="tar.zst", recompress=target).path)

    for name, data in members.items():
        if "/images/" in name:
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                assert picture.format == target.upper()


def test_manifest_readme_and_report_point_at_the_new_names(dataset: Path, extract: Extract) -> None:
    members = extract(package_dataset(dataset, fmt="7z", recompress="webp").path)

    first = json.loads((dataset / "metadata.jsonl").read_text().splitlines()[0])["file_name"]
    renamed = first.rsplit(".", 1)[0] + ".webp"
    duplicate = json.loads(members["pets/manifest.jsonl"].decode().splitlines()[-1])
    assert duplicate["duplicate_of"] == renamed
    assert duplicate["reason"] == f"exact duplicate of {renamed}"
    assert renamed in members["pets/README.md"].decode()
    assert members["pets/report.html"].decode() == f'<img src="{renamed}">\n'
    assert b"https://example.org/0.jpg" in members["pets/metadata.jsonl"]  # URLs untouched.


def test_orientation_alpha_and_icc_profile_survive(dataset: Path) -> None:
    rotated = next(path for path in (dataset / "images" / "cat").glob("*.jpg") if turned(path))
    with Image.open(io.BytesIO(reencode(rotated, "webp", 85))) as picture:
        assert picture.size == (32, 48)  # 48x32 stored, displayed turned a quarter.
        assert picture.getexif().get(0x0112) is None

    png = next((dataset / "images" / "dog").glob("*.png"))
    with Image.open(io.BytesIO(reencode(png, "webp", 85))) as picture:
        assert picture.mode == "RGBA"
        assert picture.getchannel("A").getextrema() != (255, 255)

    tagged = next((dataset / "images" / "dog").glob("*.jpg"))
    with (
        Image.open(tagged) as original,
        Image.open(io.BytesIO(reencode(tagged, "webp", 85))) as picture,
    ):
        assert picture.info["icc_profile"] == original.info["icc_profile"]


def test_quality_changes_the_size(dataset: Path) -> None:
    image = next((dataset / "images" / "cat").glob("*.jpg"))

    assert len(reencode(image, "webp", 10)) < len(reencode(image, "webp", 95))


def test_images_already_in_the_target_format_are_copied(dataset: Path, extract: Extract) -> None:
    webp = dataset / "images" / "cat" / "0000000000000000beef.webp"
    Image.new("RGB", (8, 8), "red").save(webp, "WEBP", quality=50)

    result = package_dataset(dataset, fmt="zip", recompress="webp")

    assert extract(result.path)[f"pets/{webp.relative_to(dataset).as_posix()}"] == webp.read_bytes()
    assert result.recompressed == 5


def test_unavailable_avif_is_a_clear_error(dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "check", lambda feature: False)

    with pytest.raises(PackagingError, match="AVIF encoding is not available"):
        package_dataset(dataset, fmt="zip", recompress="avif")


def test_two_images_becoming_one_name_are_refused(dataset: Path) -> None:
    jpeg = next((dataset / "images" / "cat").glob("*.jpg"))
    jpeg.with_suffix(".png").write_bytes(b"")

    with pytest.raises(PackagingError, match="would both become"):
        package_dataset(dataset, fmt="zip", recompress="webp")


def test_names_the_rewriting_cannot_track_are_refused(dataset: Path) -> None:
    (dataset / "images" / "cat" / "my photo.jpg").write_bytes(b"")

    with pytest.raises(PackagingError, match="rename files with spaces"):
        package_dataset(dataset, fmt="zip", recompress="webp")


def test_an_undecodable_image_fails_without_leaving_an_archive(dataset: Path) -> None:
    (dataset / "images" / "cat" / "ffffffffffffffffffff.jpg").write_bytes(b"\xff\xd8 broken")

    with pytest.raises(PackagingError, match=r"cannot re-encode .*ffffffffffffffffffff\.jpg"):
        package_dataset(dataset, fmt="zip", recompress="webp")

    assert sorted(path.name for path in dataset.parent.iterdir()) == ["pets"]
