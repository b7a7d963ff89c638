"""validate_folder and dedup_folder on a small on-disk tree of generated images."""

import pytest

from pixcrawler.validator.folder import (
    FolderDuplicate,
    dedup_folder,
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
