"""DuckDuckGo's parser: the ``vqd`` token step, then ``i.js`` JSON pages linked by ``next``."""

from collections.abc import Callable
from typing import Any

import pytest

from pixcrawler.builder.discovery.engines import DuckDuckGoEngine, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines.duckduckgo import (
    CREATIVE_COMMONS_FILTER,
    PUBLIC_DOMAIN_FILTER,
    find_vqd,
)

BASE = "https://duckduckgo.com"
QUERY = SearchQuery("tabby cat", "tabby cat")
VQD = "4-211330391537856134178127384736457383931"
engine = DuckDuckGoEngine()


def _json_request(fixture_text: Callable[[str], str], query: SearchQuery = QUERY) -> PageRequest:
    token_page = engine.parse(
        fixture_text("duckduckgo/token_quoted.html"), engine.first_request(query, BASE), query
    )
    assert token_page.next is not None
    return token_page.next


def test_first_request_is_the_html_search_page() -> None:
    request = engine.first_request(QUERY, BASE)
    assert request.url == f"{BASE}/"
    assert dict(request.params) == {"q": "tabby cat", "iax": "images", "ia": "images"}
    assert request.expect == "text"


@pytest.mark.parametrize("name", ["token_quoted", "token_ampersand", "token_json"])
def test_every_spelling_of_the_token_leads_to_i_js(
    name: str, fixture_text: Callable[[str], str]
) -> None:
    page = engine.parse(
        fixture_text(f"duckduckgo/{name}.html"), engine.first_request(QUERY, BASE), QUERY
    )
    assert (page.candidates, page.note) == ((), None)
    assert page.next is not None
    assert page.next.url == f"{BASE}/i.js"
    assert page.next.expect == "json"
    assert dict(page.next.params) == {
        "l": "us-en", "o": "json", "q": "tabby cat", "vqd": VQD, "f": ",,,,,", "p": 1,
    }  # fmt: skip
    assert page.next.headers["Referer"] == f"{BASE}/"


@pytest.mark.parametrize(
    "body",
    [
        "vqd='4-99'", 'x vqd="4-99" y', '{"vqd": "4-99"}', "&vqd=4-99&",
        '<input type="hidden" name="vqd" value="4-99">',  # the no-JavaScript pages
        "<INPUT value='4-99' name='vqd' type='hidden'/>",
        '<input name=vqd value=4-99 type=hidden>',
        '<input type="hidden" name="q" value="cat"><input type="hidden" name="vqd" value="4-99">',
    ],
)  # fmt: skip
def test_find_vqd(body: str) -> None:
    assert find_vqd(body) == "4-99"


@pytest.mark.parametrize(
    "body", ['<input name="vqdx" value="4-99">', '<input name="q" value="4-99">', "<input vqd>"]
)
def test_find_vqd_ignores_other_inputs(body: str) -> None:
    assert find_vqd(body) is None


@pytest.mark.parametrize("body", [None, {"vqd": "4-1"}, ""])
def test_no_token_is_noted(body: Any, fixture_text: Callable[[str], str]) -> None:
    for text in (body, fixture_text("duckduckgo/no_token.html")):
        page = engine.parse(text, engine.first_request(QUERY, BASE), QUERY)
        assert (page.candidates, page.next, page.note) == ((), None, "vqd token not found")


def test_safe_search_off_and_licences() -> None:
    for licenses, expected in (
        (("cc0",), PUBLIC_DOMAIN_FILTER),
        (("by",), CREATIVE_COMMONS_FILTER),
    ):
        query = SearchQuery("tabby cat", "tabby cat", licenses=licenses, safe_search=False)
        page = engine.parse('vqd="4-1"', engine.first_request(query, BASE), query)
        assert page.next is not None
        assert (page.next.params["f"], page.next.params["p"]) == (expected, -1)


def test_results_and_next_keep_the_token(
    fixture_text: Callable[[str], str], fixture_json: Callable[[str], Any]
) -> None:
    request = _json_request(fixture_text)
    page = engine.parse(fixture_json("duckduckgo/page1.json"), request, QUERY)
    assert [(c.url, c.page_url, c.title) for c in page.candidates] == [
        (
            "https://images.example.org/cats/tabby-ddg-1.jpg",
            "https://www.example.org/cats/tabby",
            "Tabby cat - Example Pets",
        ),
        ("http://cdn.example.net/t/tabby-2.png?size=large&v=3",
         "https://blog.example.net/tabby-2", "Tabby \u00e9t\u00e9 \u2014 \u732b"),
        ("https://images.example.org/cats/tabby-ddg-3.webp", None, None),
    ]  # fmt: skip
    assert {c.source for c in page.candidates} == {"duckduckgo"}
    assert (page.candidates[0].width, page.candidates[0].height) == (1600, 1200)  # size kept
    assert page.next is not None
    assert page.next.url == f"{BASE}/i.js"  # the query string moved into params
    assert page.next.params["vqd"] == VQD  # "next" omits it
    assert (page.next.params["s"], page.next.params["q"]) == ("100", "tabby cat")
    last = engine.parse(fixture_json("duckduckgo/page2.json"), page.next, QUERY)
    assert [c.title for c in last.candidates] == ["Tabby 4", "Tabby 5"]
    assert (last.next, last.note) == (None, None)


def test_an_empty_result_list_ends_even_with_a_next_link(
    fixture_text: Callable[[str], str],
) -> None:
    body = {"results": [], "next": "i.js?q=tabby&s=200"}
    page = engine.parse(body, _json_request(fixture_text), QUERY)
    assert (page.candidates, page.next, page.note) == ((), None, None)


@pytest.mark.parametrize("name", ["duckduckgo/missing_results.json", "duckduckgo/error_page.html"])
def test_malformed_result_pages_are_noted(
    name: str, fixture_text: Callable[[str], str], fixture_json: Callable[[str], Any]
) -> None:
    body = fixture_json(name) if name.endswith(".json") else fixture_text(name)
    page = engine.parse(body, _json_request(fixture_text), QUERY)
    assert (page.candidates, page.next) == ((), None)
    assert page.note == "malformed response: no 'results' list"
