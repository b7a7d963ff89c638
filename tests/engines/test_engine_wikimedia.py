"""Wikimedia Commons' parser: imageinfo and licence metadata, ``continue`` paging, filtering."""

from collections.abc import Callable
from typing import Any

import pytest

from pixcrawler.builder.discovery.engines import Page, SearchQuery, WikimediaEngine

BASE = "https://commons.wikimedia.org"
QUERY = SearchQuery("tabby cat", "tabby cat")
engine = WikimediaEngine()


def test_first_request() -> None:
    request = engine.first_request(QUERY, BASE)
    assert request.url == f"{BASE}/w/api.php"
    assert request.expect == "json"
    params = dict(request.params)
    assert params["gsrsearch"] == "tabby cat filetype:bitmap"
    assert (params["generator"], params["gsrnamespace"], params["gsrlimit"]) == ("search", 6, 50)
    assert params["iiprop"] == "url|size|mime|extmetadata"
    assert params["iiurlwidth"] == 1024
    assert "LicenseShortName" in str(params["iiextmetadatafilter"]).split("|")


def test_page_one_in_search_order(fixture_json: Callable[[str], Any]) -> None:
    page = engine.parse(
        fixture_json("wikimedia/page1.json"), engine.first_request(QUERY, BASE), QUERY
    )
    rows = [(c.title, c.license, c.attribution) for c in page.candidates]
    assert rows == [
        ("Tabby cat on a wall", "CC BY-SA 4.0", "Example, CC BY-SA 4.0, via Wikimedia Commons"),
        ("Tabby kitten", "Public domain", "Jane Doe, Public domain, via Wikimedia Commons"),
        ("Tabby cat with blue eyes", "CC BY 2.0", "Kim & Lee, CC BY 2.0, via Wikimedia Commons"),
        ("Tabby GFDL", "GFDL", "Unknown author, GFDL, via Wikimedia Commons"),
    ]  # svg, pdf and a page without imageinfo skipped
    wall, kitten, tiff, _ = page.candidates
    assert wall.url.endswith("/1024px-Tabby_cat_on_a_wall.jpg")  # the rendition
    assert wall.page_url == "https://commons.wikimedia.org/wiki/File:Tabby_cat_on_a_wall.jpg"
    assert wall.license_url == "https://creativecommons.org/licenses/by-sa/4.0"
    assert kitten.url == "https://upload.wikimedia.org/wikipedia/commons/7/77/Tabby_kitten.png"
    assert tiff.url.endswith(".tiff.jpg")  # TIFF only through its JPEG rendition
    assert {c.source for c in page.candidates} == {"wikimedia"}


def test_continue_is_merged_into_the_next_request(fixture_json: Callable[[str], Any]) -> None:
    first_request = engine.first_request(QUERY, BASE)
    page = engine.parse(fixture_json("wikimedia/page1.json"), first_request, QUERY)
    assert page.next is not None
    assert dict(page.next.params) == {
        **first_request.params, "gsroffset": 50, "continue": "gsroffset||",
    }  # fmt: skip
    last = engine.parse(fixture_json("wikimedia/page2.json"), page.next, QUERY)
    assert [c.license for c in last.candidates] == ["CC0", "CC BY 2.0"]
    assert last.next is None


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [
        (("by-sa",), ["CC BY-SA 4.0"]),
        (("cc0",), ["Public domain"]),  # public domain and CC0 go together
        (("by", "pd"), ["Public domain", "CC BY 2.0"]),
    ],
)
def test_licences_are_filtered_here(
    licenses: tuple[str, ...], expected: list[str], fixture_json: Callable[[str], Any]
) -> None:
    query = SearchQuery("tabby cat", "tabby cat", licenses=licenses)
    page = engine.parse(
        fixture_json("wikimedia/page1.json"), engine.first_request(query, BASE), query
    )
    assert [c.license for c in page.candidates] == expected
    assert page.next is not None  # a page filtered empty still leads on


def test_no_results(fixture_json: Callable[[str], Any]) -> None:
    body = fixture_json("wikimedia/no_results.json")
    assert engine.parse(body, engine.first_request(QUERY, BASE), QUERY) == Page((), None)


@pytest.mark.parametrize(
    ("body", "note"),
    [
        ({"error": {"code": "badvalue"}}, "malformed response: api error badvalue"),
        ({"query": {"pages": 7}}, "malformed response: no query.pages"),
        ({"query": "x"}, "malformed response: no query.pages"),
        ("<html>", "malformed response: str, not an object"),
        (None, "malformed response: NoneType, not an object"),
    ],
)
def test_malformed_bodies_are_noted(body: Any, note: str) -> None:
    assert engine.parse(body, engine.first_request(QUERY, BASE), QUERY) == Page((), None, note)


def test_the_api_error_fixture(fixture_json: Callable[[str], Any]) -> None:
    page = engine.parse(
        fixture_json("wikimedia/api_error.json"), engine.first_request(QUERY, BASE), QUERY
    )
    assert page.note == "malformed response: api error badvalue"
