"""Bing's parser: ``a.iusc`` metadata to candidates, paging by ``first``, stopping on repeats."""

from collections.abc import Callable

import pytest

from pixcrawler.builder.discovery.engines import BingEngine, Page, SearchQuery
from pixcrawler.builder.discovery.engines.bing import (
    CREATIVE_COMMONS_FILTER,
    PAGE_SIZE,
    PUBLIC_DOMAIN_FILTER,
)

BASE = "https://www.bing.com"
QUERY = SearchQuery("tabby cat close-up", "tabby cat")
engine = BingEngine()


def test_first_request_asks_the_async_endpoint() -> None:
    request = engine.first_request(QUERY, BASE)
    assert request.url == f"{BASE}/images/async"
    assert dict(request.params) == {
        "q": "tabby cat close-up",
        "first": 1,  # Bing counts results from 1
        "count": PAGE_SIZE,
        "mmasync": 1,
        "adlt": "strict",
    }
    assert request.expect == "text"
    assert request.raw_query == ""


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [(("cc0",), PUBLIC_DOMAIN_FILTER), (("pd", "cc0"), PUBLIC_DOMAIN_FILTER),
     (("cc0", "by", "by-sa"), CREATIVE_COMMONS_FILTER)],
)  # fmt: skip
def test_licence_filter(licenses: tuple[str, ...], expected: str) -> None:
    query = SearchQuery("tabby cat", "tabby cat", licenses=licenses, safe_search=False)
    request = engine.first_request(query, BASE)
    assert "qft" not in request.params  # params would percent-encode the colon
    assert request.raw_query == f"qft={expected}"
    assert request.params["adlt"] == "off"


def test_page_one_fields(fixture_text: Callable[[str], str]) -> None:
    page = engine.parse(fixture_text("bing/page1.html"), engine.first_request(QUERY, BASE), QUERY)
    assert page.note is None
    assert [(c.url, c.page_url, c.title) for c in page.candidates] == [
        (
            "https://images.example.org/cats/tabby-1.jpg",
            "https://www.example.org/cats/tabby-on-windowsill",
            "Tabby cat on a windowsill",  # highlight markers removed
        ),
        (  # attributes swapped, single-quoted, entities in the URL decoded
            "https://cdn.example.net/photos/2019/tabby_kitten.png?w=1600&h=1200",
            "https://blog.example.net/kittens",
            "Tabby kitten & yarn",
        ),
        (  # class="iusc hover"
            "http://pics.example.com/img/orange-tabby.jpeg",
            "http://pics.example.com/orange-tabby",
            "Orange tabby, 'Marmalade'",
        ),
    ]  # broken metadata and an anchor without murl skipped; the duplicate kept once
    for candidate in page.candidates:
        assert (candidate.source, candidate.label, candidate.query) == (
            "bing",
            "tabby cat",
            QUERY.text,
        )
        assert candidate.license is None


def test_pagination_until_bing_repeats_itself(fixture_text: Callable[[str], str]) -> None:
    first = engine.parse(fixture_text("bing/page1.html"), engine.first_request(QUERY, BASE), QUERY)
    assert first.next is not None
    assert first.next.params["first"] == 36
    second = engine.parse(fixture_text("bing/page2.html"), first.next, QUERY)
    # The anchor with neither page URL nor title (a product tile) is skipped.
    assert [c.title for c in second.candidates] == ["Cat November 2010-1a", "Silver tabby"]
    assert second.next is not None
    assert second.next.params["first"] == 71
    third = engine.parse(fixture_text("bing/page3.html"), second.next, QUERY)
    assert third == Page((), None)  # only results already seen: exhausted, no note


def test_no_results_page_notes_it(fixture_text: Callable[[str], str]) -> None:
    page = engine.parse(
        fixture_text("bing/no_results.html"), engine.first_request(QUERY, BASE), QUERY
    )
    assert (page.candidates, page.next, page.note) == ((), None, "parser found nothing")


def test_truncated_page_keeps_the_complete_anchors(fixture_text: Callable[[str], str]) -> None:
    page = engine.parse(
        fixture_text("bing/truncated.html"), engine.first_request(QUERY, BASE), QUERY
    )
    assert [c.url for c in page.candidates] == ["https://images.example.org/cats/tabby-1.jpg"]


@pytest.mark.parametrize("body", [None, 17, {"a": 1}, ["<a class=iusc>"], b"<html>"])
def test_a_body_that_is_not_text_is_noted(body: object) -> None:
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert page.next is None
    assert page.note is not None and page.note.startswith("malformed response")


def test_caption_size_and_description(fixture_text: Callable[[str], str]) -> None:
    page = engine.parse(fixture_text("bing/page2.html"), engine.first_request(QUERY, BASE), QUERY)
    first = page.candidates[0]
    assert (first.width, first.height, first.file_type) == (1600, 1200, "jpeg")
    assert first.description is None  # desc is empty in this result


def test_product_tiles_are_skipped() -> None:
    tile = '<a class="iusc" m="{&quot;murl&quot;:&quot;https://shop.example/p.jpg&quot;}">'
    image = (
        '<a class="iusc" m="{&quot;murl&quot;:&quot;https://a.example/c.jpg&quot;,'
        '&quot;purl&quot;:&quot;https://a.example/&quot;,&quot;desc&quot;:&quot;A cat&quot;}">'
        "<span>640 × 480 · png</span>"
    )
    page = engine.parse(tile + image, engine.first_request(QUERY, BASE), QUERY)
    assert [(c.url, c.description, c.width, c.height) for c in page.candidates] == [
        ("https://a.example/c.jpg", "A cat", 640, 480)
    ]
