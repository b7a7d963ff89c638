"""Key validation and the tree-copy helpers of the storage package."""

import pytest

from pixcrawler.backend.storage import TIERS, parse_tier
from pixcrawler.backend.storage._keys import (
    is_skipped,
    join_key,
    tree_prefix,
    validate_key,
    validate_prefix,
)
from pixcrawler.errors import BadRequestError


@pytest.mark.parametrize("key", ["a", "a/b.jpg", "images/cat/x y.png", "a..b/c", ".hidden/x"])
def test_good_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("/a", "leading"),
        ("a//b", "segment ''"),
        ("a/", "segment ''"),
        ("a/../b", "segment '..'"),
        ("./a", "segment '.'"),
        ("a\\b", "backslash"),
        ("a\x00b", "control"),
    ],
)
def test_bad_keys(key: str, reason: str) -> None:
    with pytest.raises(BadRequestError, match=reason):
        validate_key(key)


def test_prefixes_may_be_empty_or_end_in_one_slash() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("a/") == "a/"
    assert validate_prefix("a/b") == "a/b"
    with pytest.raises(BadRequestError):
        validate_prefix("a//")


def test_tree_prefix_and_join() -> None:
    assert tree_prefix("") == ""
    assert tree_prefix("runs/r1") == "runs/r1/"
    assert tree_prefix("runs/r1/") == "runs/r1/"
    assert join_key("", "k") == "k"
    assert join_key("p", "k") == "p/k"


@pytest.mark.parametrize(
    ("relative", "skipped"),
    [
        (".pixcrawler/state.sqlite", True),
        ("sub/.pixcrawler/x", True),
        ("images/a.jpg.part", True),
        ("images/a.jpg", False),
        ("part/a.jpg", False),
    ],
)
def test_tree_copies_skip_state_and_partial_files(relative: str, skipped: bool) -> None:
    assert is_skipped(relative) is skipped


def test_tiers_parse_case_insensitively() -> None:
    assert TIERS == ("hot", "cool", "archive")
    assert parse_tier("Cool") == "cool"
    with pytest.raises(BadRequestError, match="hot, cool, archive"):
        parse_tier("cold")
