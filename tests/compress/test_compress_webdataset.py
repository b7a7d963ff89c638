"""write_webdataset: shard layout, sample grouping, class indices, determinism and bad input."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from compress_samples import CLASSES

from pixcrawler.utility.compress import PackagingError, write_webdataset


def shard_members(shard: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(shard) as archive:
        return [
            (info.name, stream.read())
            for info in archive
            if (stream := archive.extractfile(info)) is not None
        ]


def metadata(root: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (root / "metadata.jsonl").read_text().splitlines()]


def test_shards_are_numbered_and_hold_shard_size_samples(dataset: Path, tmp_path: Path) -> None:
    shards = write_webdataset(dataset, tmp_path / "wds", shard_size=2)

    assert [shard.name for shard in shards] == [f"pets-00000{index}.tar" for index in range(3)]
    assert [len(shard_members(shard)) for shard in shards] == [6, 6, 3]


def test_each_sample_is_image_class_and_metadata_under_one_key(
    dataset: Path, tmp_path: Path
) -> None:
    shards = write_webdataset(dataset, tmp_path / "wds")

    members = shard_members(shards[0])
    rows = metadata(dataset)
    assert len(members) == 3 * len(rows)
    for row, start in zip(rows, range(0, len(members), 3), strict=True):
        file_name = Path(str(row["file_name"]))
        key = file_name.stem
        (image, data), (cls, index), (meta, record) = members[start : start + 3]
        assert image == f"{key}{file_name.suffix}"
        assert data == (dataset / file_name).read_bytes()
        assert (cls, int(index)) == (f"{key}.cls", CLASSES.index(str(row["label"])))
        assert (meta, json.loads(record)) == (f"{key}.json", row)


def test_shards_are_deterministic_and_stale_ones_are_removed(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "wds"
    first = [shard.read_bytes() for shard in write_webdataset(dataset, out, shard_size=1)]

    again = write_webdataset(dataset, out, shard_size=2)

    assert len(first) == 5
    assert sorted(path.name for path in out.iterdir()) == [shard.name for shard in again]
    repeat = write_webdataset(dataset, tmp_path / "other", shard_size=1)
    assert [shard.read_bytes() for shard in repeat] == first


def test_class_list_falls_back_to_other_formats(dataset: Path, tmp_path: Path) -> None:
    (dataset / "labels" / "classes.json").unlink()
    (dataset / "labels" / "classes.yaml").unlink()

    shards = write_webdataset(dataset, tmp_path / "wds")

    indices = [int(data) for name, data in shard_members(shards[0]) if name.endswith(".cls")]
    expected = [CLASSES.index(str(row["label"])) for row in metadata(dataset)]
    assert indices == expected


def rewrite_first_row(root: Path, **changes: object) -> None:
    rows = metadata(root)
    rows[0] |= changes
    (root / "metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("no-classes", "no class list"),
        ("missing-image", "line 1: no image file 'images/cat/gone.jpg'"),
        ("unknown-label", "line 1: label 'wolf' is not in the class list"),
        ("repeated-key", "line 2: key .* repeats"),
        ("not-json", "line 1 is not JSON"),
    ],
)
def test_inconsistent_datasets_are_refused(
    dataset: Path, tmp_path: Path, breakage: str, message: str
) -> None:
    if breakage == "no-classes":
        for path in (dataset / "labels").glob("classes.*"):
            path.unlink()
    elif breakage == "missing-image":
        rewrite_first_row(dataset, file_name="images/cat/gone.jpg")
    elif breakage == "unknown-label":
        rewrite_first_row(dataset, label="wolf")
    elif breakage == "repeated-key":
        rows = metadata(dataset)
        rewrite_first_row(dataset, file_name=rows[1]["file_name"], label=rows[1]["label"])
    else:
        (dataset / "metadata.jsonl").write_text("{oops\n")

    with pytest.raises(PackagingError, match=message):
        write_webdataset(dataset, tmp_path / "wds", shard_size=2)

    assert not (tmp_path / "wds").exists() or not any((tmp_path / "wds").iterdir())


def test_bad_arguments_are_refused(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="shard_size must be at least 1"):
        write_webdataset(dataset, tmp_path / "wds", shard_size=0)
    with pytest.raises(PackagingError, match="not a PixCrawler dataset"):
        write_webdataset(tmp_path, tmp_path / "wds")


def test_shards_read_back_with_tarfile_streaming(dataset: Path, tmp_path: Path) -> None:
    shard = write_webdataset(dataset, tmp_path / "wds")[0]

    with io.BytesIO(shard.read_bytes()) as raw, tarfile.open(fileobj=raw, mode="r|") as archive:
        keys = [info.name.split(".", 1)[0] for info in archive]

    assert keys == [key for key in dict.fromkeys(keys) for _ in range(3)]
