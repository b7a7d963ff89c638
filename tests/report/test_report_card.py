"""Tests for the dataset card: Hugging Face front matter, tables, loading code and caveats."""

from pathlib import Path

import pytest
import yaml
from report_dataset import BY_URL, SCRIPT_LABEL, DatasetBuilder

from pixcrawler.utility.report import write_report
from pixcrawler.utility.report._card import md, size_category
from pixcrawler.utility.report._licences import hf_licence_id, needs_attribution


def front_matter(card: str) -> dict[str, object]:
    assert card.startswith("---\n")
    header, _, _ = card[4:].partition("\n---\n")
    loaded = yaml.safe_load(header)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def card(dataset: Path) -> str:
    return write_report(dataset).card.read_text(encoding="utf-8")


def test_front_matter(card: str) -> None:
    assert front_matter(card) == {
        "license": "other",
        "task_categories": ["image-classification"],
        "size_categories": ["n<1K"],
        "pretty_name": "pets",
    }


def test_single_licence_names_the_hub_id(builder: DatasetBuilder) -> None:
    builder.keep("cat", "cat", "openverse", license="by", license_url=BY_URL)
    card = write_report(builder.write(), title="Cats: «best»").card.read_text(encoding="utf-8")
    assert front_matter(card)["license"] == "cc-by-4.0"
    assert front_matter(card)["pretty_name"] == "Cats: «best»"


def test_tables_and_numbers(card: str) -> None:
    assert "| 0 | cat | `cat` | 3 | 37.5% |" in card
    assert "| **Total** | 16 | 11 | 10 | 8 | 8 |" in card
    assert "| download\\_failed | http 404 | 3 |" in card
    assert "| [by](<https://creativecommons.org/licenses/by/4.0/>) | 2 |" in card
    assert "unknown** licence need review" in card
    assert "3 images ask for attribution" in card
    assert "Cross-class leakage: 1 candidate repeated" in card


def test_loading_instructions(card: str) -> None:
    assert 'ImageFolder("pets/images")' in card
    assert 'load_dataset("imagefolder", data_dir="pets")' in card


def test_labels_cannot_inject_markup(card: str) -> None:
    assert SCRIPT_LABEL not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card


def test_markdown_escaping() -> None:
    assert md("a|b *c*\nd") == "a\\|b \\*c\\* d"


@pytest.mark.parametrize(
    ("n", "bucket"), [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (50_000, "10K<n<100K")]
)
def test_size_categories(n: int, bucket: str) -> None:
    assert size_category(n) == bucket


@pytest.mark.parametrize(
    ("licence", "url", "hub_id"),
    [
        ("cc0", None, "cc0-1.0"),
        ("CC0 1.0", None, "cc0-1.0"),
        ("by-sa", "https://creativecommons.org/licenses/by-sa/3.0/", "cc-by-sa-3.0"),
        ("CC BY-NC 2.0", None, "cc-by-nc-2.0"),
        ("by", None, "other"),
        ("GFDL", None, "other"),
        ("unknown", None, "unknown"),
    ],
)
def test_hub_licence_ids(licence: str, url: str | None, hub_id: str) -> None:
    assert hf_licence_id(licence, url) == hub_id


def test_which_licences_ask_for_credit() -> None:
    assert needs_attribution("CC BY-SA 4.0", None)
    assert not needs_attribution("cc0", "someone")
    assert not needs_attribution("Public Domain Mark 1.0", "someone")
    assert needs_attribution("unknown", "someone")
    assert not needs_attribution("unknown", None)


def test_card_of_a_dataset_with_nothing_kept(builder: DatasetBuilder) -> None:
    builder.reject("cat", "download_failed", "http 404", "bing")
    card = write_report(builder.write()).card.read_text(encoding="utf-8")
    assert front_matter(card)["size_categories"] == ["n<1K"]
    assert "No kept images, so no licences." in card
    assert "| **Total** | 1 | 0 | 0 | 0 | 0 |" in card
