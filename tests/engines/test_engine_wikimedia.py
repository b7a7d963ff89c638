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


def _entry(info: dict[str, Any], title: str = "File:Cat.jpg", index: int = 1) -> dict[str, Any]:
    return {"title": title, "index": index, "imageinfo": [info]}


def _body(*entries: dict[str, Any], more: bool = True) -> dict[str, Any]:
    pages = {str(n): entry for n, entry in enumerate(entries)}
    body: dict[str, Any] = {"batchcomplete": "", "query": {"pages": pages}}
    if more:
        body["continue"] = {"gsroffset": 50, "continue": "gsroffset||"}
    return body


def test_entries_without_mime_are_typed_by_file_name() -> None:
    body = _body(
        _entry({"url": "https://u.example/a/Cat.JPG"}),
        _entry({"url": "https://u.example/b/Map.svg", "thumburl": "https://u.example/t/Map.png"}),
        _entry({"url": "https://u.example/c/Scan.tif", "thumburl": "https://u.example/t/Scan.jpg"}),
        _entry({"url": "https://u.example/d/Scan.tif"}),
    )
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert [c.url for c in page.candidates] == [
        "https://u.example/a/Cat.JPG",
        "https://u.example/t/Scan.jpg",
    ]  # fmt: skip - the SVG is skipped, the TIFF only through its rendition
    assert [c.file_type for c in page.candidates] == [None, None]  # Commons did not say


def test_a_page_that_yields_nothing_says_why() -> None:
    body = _body(
        _entry({"url": "https://u.example/b/Map.svg"}),
        _entry({"mime": "application/pdf", "url": "https://u.example/c/Book.pdf"}),
        _entry({"mime": "image/jpeg"}),
        {"title": "File:Gone.jpg", "missing": ""},
        _entry({"url": "https://u.example/e/Logo.svg"}),
    )
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert page == Page(
        (), None,
        "parser found nothing (5 files: 2 type .svg, 1 type application/pdf, 1 no image URL, "
        "1 without imageinfo)",
    )  # fmt: skip


def test_a_page_emptied_by_the_licence_filter_leads_on_without_a_note() -> None:
    info = {"mime": "image/jpeg", "url": "https://u.example/a.jpg", "extmetadata": {
        "LicenseShortName": {"value": "GFDL"}}}  # fmt: skip
    query = SearchQuery("cat", "cat", licenses=("by",))
    page = engine.parse(_body(_entry(info)), engine.first_request(query, BASE), query)
    assert (page.candidates, page.note) == ((), None)
    assert page.next is not None


def _credit(metadata: dict[str, str]) -> str | None:
    info = {"url": "https://u.example/a.jpg", "extmetadata": {
        "LicenseShortName": {"value": "CC BY-SA 3.0"},
        **{key: {"value": value} for key, value in metadata.items()}}}  # fmt: skip
    (candidate,) = engine.parse(
        _body(_entry(info, "File:Lago di Como.jpg")), engine.first_request(QUERY, BASE), QUERY
    ).candidates
    return candidate.attribution


@pytest.mark.parametrize(
    ("metadata", "credit"),
    [
        (  # the credit the author asks for wins, HTML removed
            {"Attribution": "Photo: <a href='x'>A. Foto</a> / Wikimedia Commons / CC BY-SA 3.0 DE",
             "Artist": "A. Foto"},
            "Photo: A. Foto / Wikimedia Commons / CC BY-SA 3.0 DE",
        ),
        ({"Artist": "<a href='//c'>Jane Doe</a>"}, "Jane Doe, CC BY-SA 3.0, via Wikimedia Commons"),
        (  # Commons' uploader sentence: the name is taken out, not the sentence glued in
            {"Artist": "The original uploader was <a href='x'>Pippo</a> at Italian Wikipedia."},
            "Pippo (Italian Wikipedia), CC BY-SA 3.0, via Wikimedia Commons",
        ),
        (  # any other sentence is kept apart from the credit
            {"Artist": "No machine-readable author provided. Pippo assumed (based on claims)."},
            "Lago di Como, CC BY-SA 3.0, via Wikimedia Commons. Author: No machine-readable "
            "author provided. Pippo assumed (based on claims).",
        ),
        ({"Artist": "J. R. R. Tolkien"}, "J. R. R. Tolkien, CC BY-SA 3.0, via Wikimedia Commons"),
        ({}, "Unknown author, CC BY-SA 3.0, via Wikimedia Commons"),
    ],
)  # fmt: skip
def test_credit_line(metadata: dict[str, str], credit: str) -> None:
    assert _credit(metadata) == credit


def test_tracking_parameters_are_stripped_from_urls() -> None:
    thumb = (
        "https://upload.wikimedia.org/t/1920px-Cat.jpg?utm_source=commons.wikimedia.org"
        "&utm_campaign=imageinfo&utm_content=thumbnail"
    )
    info = {
        "mime": "image/jpeg",
        "url": "https://u.example/Cat.jpg?v=2&utm_medium=x",
        "thumburl": thumb,
        "descriptionurl": "https://c.example/File:Cat.jpg?fbclid=1&a=b%20c",
    }
    (candidate,) = engine.parse(
        _body(_entry(info)), engine.first_request(QUERY, BASE), QUERY
    ).candidates
    assert candidate.url == "https://upload.wikimedia.org/t/1920px-Cat.jpg"
    assert candidate.page_url == "https://c.example/File:Cat.jpg?a=b%20c"  # the rest untouched


def test_the_credit_line_is_requested() -> None:
    params = engine.first_request(QUERY, BASE).params
    assert "Attribution" in str(params["iiextmetadatafilter"]).split("|")
