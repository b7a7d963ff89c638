"""Keyword normalisation and variations: deterministic, seedable, hook optional."""

import pytest

from pixcrawler.builder.discovery.keywords import (
    TEMPLATES,
    KeywordError,
    normalize_keyword,
    variations,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  tabby   cat ", "tabby cat"), ("猫", "猫"), ("../../x", "../../x"), ("😀 dog", "😀 dog"),
     ("قطة", "قطة")],
)  # fmt: skip
def test_keywords_are_kept_as_given_but_trimmed(raw: str, expected: str) -> None:
    assert normalize_keyword(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "a\x00b", "x" * 201])
def test_unusable_keywords_are_refused(raw: str) -> None:
    with pytest.raises(KeywordError):
        normalize_keyword(raw)


def test_keyword_itself_comes_first_and_all_templates_follow() -> None:
    queries = list(variations("tabby cat"))
    assert queries[0] == "tabby cat"
    assert len(queries) == len(TEMPLATES)
    assert len(set(queries)) == len(queries)


def test_order_is_deterministic_and_seedable() -> None:
    assert list(variations("cat", seed=1)) == list(variations("cat", seed=1))
    assert list(variations("cat", seed=1)) != list(variations("cat", seed=2))
    assert list(variations("cat", seed=None))[1] == TEMPLATES[1].format(kw="cat")


def test_limit() -> None:
    assert len(list(variations("cat", limit=3))) == 3


def test_expansion_hook_adds_and_is_cleaned() -> None:
    def hook(keyword: str, count: int) -> list[str]:
        return [f"{keyword} kitten", "  ", "CAT", f"{keyword} kitten"]

    queries = list(variations("cat", expand=hook))
    assert queries[-1] == "cat kitten"
    assert queries.count("cat kitten") == 1
    assert "CAT" not in queries  # same as "cat", case-folded


def test_failing_hook_never_stops_a_build() -> None:
    def hook(keyword: str, count: int) -> list[str]:
        raise RuntimeError("LLM down")

    assert len(list(variations("cat", expand=hook))) == len(TEMPLATES)
