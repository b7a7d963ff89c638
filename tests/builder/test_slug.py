"""Tests for class-folder slugs: readable output, safety properties and collision handling."""

import random
import string
import sys
import unicodedata

import pytest

from pixcrawler.builder.dataset.slug import MAX_SLUG_BYTES, slugify, unique_slugs

HOSTILE = [
    "", " ", ".", "..", "...", "/", "\\", "\x00", "../../x", "..\\..\\x", "/etc/passwd",
    "a/../../b", "C:\\Windows", "\x00cat\x00", "-", "--.--", "_", "CON", "nul", "Com1",
    "lpt9", "a" * 500, "猫" * 100, "é" * 41, "🐈" * 30, "\u202egnp.exe", "\u200b",
    "İstanbul", "ﬁsh", "Ⅻ", "①②", "\ud800broken", "cat.jpg", "x" * 79 + "é",
]  # fmt: skip


def random_labels() -> list[str]:
    """A seeded corpus: printable soup with path characters, then code points from everywhere."""
    rng = random.Random(20240601)
    alphabet = string.printable + '猫кошкаقطة🐈éñß\u0301\u200d\u2028\x85./\\:*?"<>|'
    soup = ["".join(rng.choices(alphabet, k=rng.randint(0, 120))) for _ in range(500)]
    wide = [
        "".join(chr(rng.randint(0, sys.maxunicode)) for _ in range(rng.randint(1, 60)))
        for _ in range(500)
    ]
    return soup + wide


def assert_safe_slug(label: str) -> None:
    slug = slugify(label)
    assert slug, label
    assert slug not in {".", ".."}
    assert not {"/", "\\", "\x00", "."} & set(slug), label
    assert len(slug.encode("utf-8")) <= MAX_SLUG_BYTES, label
    assert slug == slug.strip("-"), label
    assert "--" not in slug, label
    assert all(c == "-" or unicodedata.category(c)[0] in "LMN" for c in slug), label
    assert slug == slugify(label), label  # deterministic


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Cat", "cat"),
        ("Maine Coon", "maine-coon"),
        ("  golden_retriever!!  ", "golden-retriever"),
        ("猫", "猫"),
        ("Кошка", "кошка"),
        ("قطة", "قطة"),
        ("हिन्दी", "हिन्दी"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("café", "café"),
        ("cafe\u0301", "café"),
        ("R2-D2", "r2-d2"),
        ("a.b.c", "a-b-c"),
        ("../../x", "x"),
        ("C:\\Windows\\System32", "c-windows-system32"),
        ("½ cup", "1-2-cup"),
    ],
)
def test_slugify_examples(label: str, slug: str) -> None:
    assert slugify(label) == slug


@pytest.mark.parametrize("label", ["", " ", ".", "..", "/", "\x00", "!!!", "🐈🐈", "_-_"])
def test_labels_without_letters_get_a_hashed_fallback(label: str) -> None:
    slug = slugify(label)
    assert slug.startswith("class-")
    assert len(slug) == len("class-") + 8
    assert all(c in string.hexdigits for c in slug.removeprefix("class-"))


def test_fallbacks_differ_between_labels() -> None:
    assert len({slugify(label) for label in ["", ".", "..", "🐈", "🐕"]}) == 5


@pytest.mark.parametrize("label", ["CON", "nul", "Aux", "com1", "LPT9"])
def test_windows_device_names_are_avoided(label: str) -> None:
    slug = slugify(label)
    assert slug.startswith(label.lower() + "-")
    assert len(slug) == len(label) + 7


def test_long_labels_are_cut_on_character_boundaries_with_a_hash() -> None:
    slug = slugify("猫" * 100)
    assert len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    head, _, digest = slug.rpartition("-")
    assert set(head) == {"猫"}
    assert len(digest) == 8
    assert slugify("猫" * 100) != slugify("猫" * 101)
    assert slugify("a" * MAX_SLUG_BYTES) == "a" * MAX_SLUG_BYTES


@pytest.mark.parametrize("label", HOSTILE)
def test_slug_safety_properties(label: str) -> None:
    assert_safe_slug(label)


def test_slug_safety_properties_over_a_random_corpus() -> None:
    for label in random_labels():
        assert_safe_slug(label)


@pytest.mark.parametrize("label", ["Cat", "Maine Coon", "猫 " * 50, "Ｆｕｌｌ", "İstanbul"])
def test_slugify_is_idempotent(label: str) -> None:
    assert slugify(slugify(label)) == slugify(label)


def test_unique_slugs_disambiguates_collisions_in_order() -> None:
    slugs = unique_slugs(["Cat", "cat!", "dog", "CAT", "Cat"])
    assert list(slugs) == ["Cat", "cat!", "dog", "CAT"]
    assert slugs["Cat"] == "cat"
    assert slugs["dog"] == "dog"
    assert slugs["cat!"].startswith("cat-")
    assert len(slugs["cat!"]) == len("cat-") + 6
    assert len(set(slugs.values())) == 4
    assert unique_slugs(["Cat", "cat!", "dog", "CAT"]) == slugs


def test_unique_slugs_survives_a_label_that_mimics_a_suffix() -> None:
    first = unique_slugs(["cat", "Cat"])
    mimic = first["Cat"]
    slugs = unique_slugs(["cat", mimic, "Cat"])
    assert slugs["cat"] == "cat"
    assert slugs[mimic] == mimic
    assert slugs["Cat"] == f"{mimic}-2"


def test_unique_slugs_keeps_long_variants_within_the_byte_limit() -> None:
    labels = ["猫" * 100, "猫" * 100 + "!", "猫" * 100 + "?"]
    slugs = unique_slugs(labels)
    assert len(set(slugs.values())) == 3
    assert all(len(s.encode("utf-8")) <= MAX_SLUG_BYTES for s in slugs.values())


def test_unique_slugs_are_unique_over_the_fuzz_corpus() -> None:
    slugs = unique_slugs(HOSTILE + random_labels())
    assert len(set(slugs.values())) == len(slugs)
