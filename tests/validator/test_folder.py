"""validate_folder and dedup_folder on a small on-disk tree of generated images."""

import json

import pytest
from PIL import Image

from pixcrawler.validator.folder import (
    FolderDuplicate,
    dedup_folder,
    files_in_keep_order,
    iter_image_files,
    label_of,
    validate_folder,
)


@pytest.fixture
def tree(tmp_path, picture, encoded):
    """A class-per-directory dataset with one near copy, one cross-class exact copy, junk."""
    original = encoded(picture(1), "JPEG", quality=90)
    files = {
        "top.jpg": encoded(picture(2), "JPEG", quality=90),
        "cats/a.jpg": original,
        "cats/b.png": encoded(picture(1), "PNG"),
        "cats/notes.txt": b"not a picture",
        "cats/.hidden.jpg": original,
        "dogs/bad.jpg": b"<html>" + b"x" * 2000 + b"</html>",
        "dogs/c.jpg": original,
        "dogs/tiny.jpg": encoded(picture(3, (40, 40)), "PNG"),
        ".pixcrawler/cache.jpg": original,
    }
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


def names(root, paths):
    return [path.relative_to(root).as_posix() for path in paths]


def test_walk_is_sorted_and_skips_hidden_and_non_images(tree):
    walked = names(tree, iter_image_files(tree))

    assert walked == [
        "top.jpg",
        "cats/a.jpg",
        "cats/b.png",
        "dogs/bad.jpg",
        "dogs/c.jpg",
        "dogs/tiny.jpg",
    ]


def test_walk_every_file_when_extensions_is_none(tree):
    assert "cats/notes.txt" in names(tree, iter_image_files(tree, extensions=None))


def test_walk_refuses_a_missing_directory(tmp_path):
    with pytest.raises(NotADirectoryError):
        list(iter_image_files(tmp_path / "missing"))


def test_label_is_the_first_directory(tmp_path):
    assert label_of(tmp_path, tmp_path / "cats" / "x" / "a.jpg") == "cats"
    assert label_of(tmp_path, tmp_path / "a.jpg") == ""


def test_validate_folder_reports_every_file(tree, rules):
    results = {
        path.relative_to(tree).as_posix(): result
        for result in validate_folder(tree, rules)
        for path in [result.path]
    }

    assert {name: result.reason for name, result in results.items() if not result.ok} == {
        "dogs/bad.jpg": "not an image",
        "dogs/tiny.jpg": "too small 40x40",
    }
    assert results["cats/a.jpg"].label == "cats"
    assert results["top.jpg"].label == ""
    info = results["cats/b.png"].info
    assert info is not None
    assert (info.format, info.width) == ("PNG", 256)


def test_dedup_folder_finds_near_and_cross_class_copies(tree):
    duplicates = list(dedup_folder(tree, threshold=6))

    assert [(d.path.relative_to(tree).as_posix(), d.kind, d.cross_class) for d in duplicates] == [
        ("cats/b.png", "near", False),
        ("dogs/c.jpg", "exact", True),
    ]
    assert all(d.duplicate_of == tree / "cats" / "a.jpg" for d in duplicates)
    assert duplicates[1] == FolderDuplicate(
        path=tree / "dogs" / "c.jpg",
        duplicate_of=tree / "cats" / "a.jpg",
        kind="exact",
        distance=0,
        cross_class=True,
    )


def test_dedup_folder_threshold_zero_keeps_only_exact(tree):
    # The PNG re-encode of cats/a.jpg sits 2 bits away, so a zero radius no longer catches it.
    duplicates = list(dedup_folder(tree, threshold=0))

    assert [(d.path.name, d.kind) for d in duplicates] == [("c.jpg", "exact")]


def test_dedup_folder_skips_undecodable_files_but_not_small_ones(tmp_path, rules, picture, encoded):
    small = encoded(picture(4, (40, 40)), "PNG")
    for name, data in [("junk1.jpg", b"<html>" * 300), ("junk2.jpg", b"<html>" * 300)]:
        (tmp_path / name).write_bytes(data)
    for name in ("small1.png", "small2.png"):
        (tmp_path / name).write_bytes(small)

    by_default = [d.path.name for d in dedup_folder(tmp_path, threshold=6)]
    with_strict_rules = list(dedup_folder(tmp_path, threshold=6, rules=rules))

    assert by_default == ["small2.png"]
    assert with_strict_rules == []


def write_dataset(root, rows, images):
    """A PixCrawler-style dataset: ``images`` by relative path, and manifest rows in order."""
    for name, data in images.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    lines = [json.dumps(row) for row in rows]
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def kept(file_name, label):
    return {
        "url": f"http://x/{file_name}",
        "label": label,
        "status": "kept",
        "file_name": file_name,
    }


def test_dedup_keeps_the_earliest_in_manifest_order_not_the_first_path(tmp_path, picture, encoded):
    # "b" was kept first, so it is the original even though "a" sorts before it; the rows'
    # labels, not the images/<slug> directories, decide what is cross-class.
    jpeg = encoded(picture(1), "JPEG", quality=90)
    images = {"images/dogs/a.jpg": jpeg, "images/cats/b.jpg": jpeg, "extra.jpg": jpeg}
    rows = [
        {"url": "http://x/bad", "label": "cats", "status": "download_failed", "reason": "http 404"},
        kept("images/cats/b.jpg", "cats"),
        kept("images/dogs/a.jpg", "dogs"),
    ]
    root = write_dataset(tmp_path, rows, images)

    files, from_manifest = files_in_keep_order(root)
    duplicates = list(dedup_folder(root, threshold=6))

    assert from_manifest
    assert [entry.path.relative_to(root).as_posix() for entry in files] == [
        "images/cats/b.jpg",
        "images/dogs/a.jpg",
        "extra.jpg",  # not in the manifest: after every listed file
    ]
    assert [(d.path.name, d.duplicate_of.name, d.kind, d.cross_class) for d in duplicates] == [
        ("a.jpg", "b.jpg", "exact", True),
        ("extra.jpg", "b.jpg", "exact", True),
    ]


def test_dedup_folder_uses_the_fingerprint_and_calls_only_identical_bytes_exact(
    tmp_path, picture, encoded
):
    original = picture(5)
    (tmp_path / "a.jpg").write_bytes(encoded(original, "JPEG", quality=90))
    (tmp_path / "b_turned.jpg").write_bytes(
        encoded(original.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90)
    )
    (tmp_path / "c_same_pixels.png").write_bytes(encoded(original, "PNG"))

    duplicates = list(dedup_folder(tmp_path, threshold=6))

    assert [(d.path.name, d.duplicate_of.name, d.kind) for d in duplicates] == [
        ("b_turned.jpg", "a.jpg", "near"),
        ("c_same_pixels.png", "a.jpg", "near"),
    ]


def test_a_manifest_row_outside_the_dataset_is_not_followed(tmp_path, picture, encoded):
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(encoded(picture(6), "JPEG"))
    root = write_dataset(
        tmp_path / "ds",
        [kept("../outside.jpg", "cats"), kept(str(outside), "cats")],
        {"images/cats/a.jpg": encoded(picture(7), "JPEG")},
    )

    files, from_manifest = files_in_keep_order(root)

    assert [entry.path.name for entry in files] == ["a.jpg"]
    assert not from_manifest


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json\n", "line 1 is not JSON"), ('{"status": "kept"}\n[1, 2]\n', "line 2 is not")],
)
def test_a_malformed_manifest_is_one_clear_error(tmp_path, content, message):
    (tmp_path / "manifest.jsonl").write_text(content, encoding="utf-8")

    with pytest.raises(ValueError, match=message):
        files_in_keep_order(tmp_path)
