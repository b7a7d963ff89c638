"""Openverse's parser: licence display forms, attribution, paging until ``page_count``."""

from collections.abc import Callable
from typing import Any

import pytest

from pixcrawler.builder.discovery.engines import OpenverseEngine, Page, SearchQuery

BASE = "https://api.openverse.org"
QUERY = SearchQuery("tabby cat", "tabby cat")
engine = OpenverseEngine()


def test_first_request() -> None:
    request = engine.first_request(QUERY, BASE)
    assert request.url == f"{BASE}/v1/images/"
    assert dict(request.params) == {"q": "tabby cat", "page": 1, "page_size": 20}
    assert request.expect == "json"


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [
        (("cc0", "by", "by-sa"), "by,by-sa,cc0,pdm"),  # cc0 and public domain go together
        (("CC-BY-NC",), "by-nc"),
        (("by-nd", "nonsense"), "by-nd"),
    ],
)
def test_licences_are_filtered_by_the_api(licenses: tuple[str, ...], expected: str) -> None:
    query = SearchQuery("tabby cat", "tabby cat", licenses=licenses, safe_search=False)
    params = engine.first_request(query, BASE).params
    assert (params["license"], params["mature"]) == (expected, "true")
    assert engine.supports_licenses


def test_page_one_fields(fixture_json: Callable[[str], Any]) -> None:
    page = engine.parse(
        fixture_json("openverse/page1.json"), engine.first_request(QUERY, BASE), QUERY
    )
    assert [(c.url, c.title, c.license, c.license_url) for c in page.candidates] == [
        (
            "https://live.staticflickr.com/65535/51234567890_abcdef1234_b.jpg",
            "Tabby on the fence",
            "CC BY-SA 2.0",
            "https://creativecommons.org/licenses/by-sa/2.0/",
        ),
        (
            "https://upload.wikimedia.org/wikipedia/commons/a/ab/Sleeping_tabby.jpg",
            "Sleeping tabby",
            "CC0 1.0",  # the version the API gives is kept
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        (
            "https://images.example.org/archive/tabby-1910.jpg",
            "Tabby (1910)",
            "Public Domain Mark 1.0",
            "https://creativecommons.org/publicdomain/mark/1.0/",
        ),
    ]  # the row without a url skipped
    first = page.candidates[0]
    assert first.page_url == "https://www.flickr.com/photos/example/2b9c3f3e"
    assert first.attribution is not None
    assert first.attribution.startswith('"Tabby on the fence" by catlover42 is licensed')
    assert page.candidates[2].attribution == "Tabby (1910) by Unknown photographer"  # fallback
    assert {(c.source, c.label) for c in page.candidates} == {("openverse", "tabby cat")}


def test_pages_until_page_count(fixture_json: Callable[[str], Any]) -> None:
    query = SearchQuery("tabby cat", "tabby cat", licenses=("by",))
    first = engine.parse(
        fixture_json("openverse/page1.json"), engine.first_request(query, BASE), query
    )
    assert first.next is not None
    assert dict(first.next.params) == {
        "q": "tabby cat",
        "page": 2,
        "page_size": 20,
        "license": "by",
    }
    last = engine.parse(fixture_json("openverse/page2.json"), first.next, query)
    assert [(c.title, c.license, c.attribution) for c in last.candidates][1] == (
        None, "CC BY-NC 4.0", None,
    )  # fmt: skip
    assert (last.next, last.note) == (None, None)


def test_no_results(fixture_json: Callable[[str], Any]) -> None:
    page = engine.parse(
        fixture_json("openverse/empty.json"), engine.first_request(QUERY, BASE), QUERY
    )
    assert page == Page((), None)


@pytest.mark.parametrize(
    ("body", "note"),
    [
        ({"detail": "Invalid page"}, "malformed response: Invalid page"),
        ({"results": "none"}, "malformed response: no results list"),
        ([{"url": "https://x.example/a.jpg"}], "malformed response: no results list"),
        ("<html>502</html>", "malformed response: no results list"),
    ],
)
def test_malformed_bodies_are_noted(body: Any, note: str) -> None:
    assert engine.parse(body, engine.first_request(QUERY, BASE), QUERY) == Page((), None, note)


def test_the_api_error_fixture(fixture_json: Callable[[str], Any]) -> None:
    page = engine.parse(
        fixture_json("openverse/error.json"), engine.first_request(QUERY, BASE), QUERY
    )
    assert page.note is not None and page.note.startswith("malformed response: Invalid page")


def test_an_unknown_licence_code_is_kept_as_given() -> None:
    row = {"url": "https://x.example/a.jpg", "license": "sampling+", "license_version": "1.0"}
    page = engine.parse(
        {"results": [row], "page_count": 1}, engine.first_request(QUERY, BASE), QUERY
    )
    assert [c.license for c in page.candidates] == ["sampling+ 1.0"]


def _row(**fields: Any) -> dict[str, Any]:
    return {"url": "https://x.example/a.jpg", "license": "by", "license_version": "4.0", **fields}


@pytest.mark.parametrize(
    ("row", "mature"),
    [(_row(mature=True), True), (_row(mature=False, unstable__sensitivity=["text"]), True),
     (_row(mature=False, unstable__sensitivity=[]), False), (_row(), None)],
)  # fmt: skip
def test_mature_flags(row: dict[str, Any], mature: bool | None) -> None:
    unsafe = SearchQuery("tabby cat", "tabby cat", safe_search=False)
    body = {"results": [row], "page_count": 1}
    (candidate,) = engine.parse(body, engine.first_request(unsafe, BASE), unsafe).candidates
    assert candidate.mature is mature
    safe = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert len(safe.candidates) == (0 if mature else 1)  # dropped under safe search


def test_safe_search_decides_the_mature_parameter() -> None:
    assert "mature" not in engine.first_request(QUERY, BASE).params
    unsafe = SearchQuery("tabby cat", "tabby cat", safe_search=False)
    assert engine.first_request(unsafe, BASE).params["mature"] == "true"


def test_a_page_emptied_by_safe_search_leads_on() -> None:
    body = {"results": [_row(mature=True)], "page": 1, "page_count": 3}
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert (page.candidates, page.note) == ((), None)
    assert page.next is not None


def test_service_fields_are_kept(fixture_json: Callable[[str], Any]) -> None:
    page = engine.parse(
        fixture_json("openverse/page1.json"), engine.first_request(QUERY, BASE), QUERY
    )
    first = page.candidates[0]
    assert (first.width, first.height, first.file_type, first.provider, first.mature) == (
        1024, 768, "jpg", "flickr", False,
    )  # fmt: skip
