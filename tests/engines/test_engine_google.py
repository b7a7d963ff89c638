"""Google's best-effort parser: original-image triples in script data, paged by ``ijn``."""

from collections.abc import Callable
from dataclasses import replace

from pixcrawler.builder.discovery.engines import GoogleEngine, Page, SearchQuery
from pixcrawler.builder.discovery.engines.google import MAX_PAGES

BASE = "https://www.google.com"
QUERY = SearchQuery("tabby cat", "tabby cat")
engine = GoogleEngine()


def test_first_request() -> None:
    request = engine.first_request(QUERY, BASE)
    assert request.url == f"{BASE}/search"
    assert dict(request.params) == {
        "q": "tabby cat", "tbm": "isch", "ijn": 0, "start": 0, "safe": "active",
    }  # fmt: skip
    off = engine.first_request(SearchQuery("x", "x", safe_search=False), BASE)
    assert off.params["safe"] == "off"
    assert not engine.supports_licenses


def test_originals_with_page_and_title(fixture_text: Callable[[str], str]) -> None:
    page = engine.parse(fixture_text("google/page0.html"), engine.first_request(QUERY, BASE), QUERY)
    assert [(c.url, c.page_url, c.title) for c in page.candidates] == [
        (
            "https://images.example.org/cats/tabby-g1.jpg",
            "https://www.example.org/cats/tabby-portrait",
            "Tabby cat portrait & close-up",  # \u0026 decoded
        ),
        ("https://cdn.example.net/img.php?id=42&size=full", None, None),  # no "2003" block
        (
            "http://pics.example.com/orange-tabby.jpeg",
            "http://pics.example.com/orange",
            'Orange "Marmalade" tabby',
        ),
    ]  # gstatic thumbnails and the logo skipped, the repeated first result kept once
    assert {(c.source, c.label) for c in page.candidates} == {("google", "tabby cat")}


def test_pages_until_nothing_is_new(fixture_text: Callable[[str], str]) -> None:
    first = engine.parse(
        fixture_text("google/page0.html"), engine.first_request(QUERY, BASE), QUERY
    )
    assert first.next is not None
    assert (first.next.params["ijn"], first.next.params["start"]) == (1, 100)
    second = engine.parse(fixture_text("google/page1.html"), first.next, QUERY)
    assert [c.title for c in second.candidates] == ["Tabby four", "Tabby five"]  # 3 was seen
    assert second.next is not None
    assert second.next.params["ijn"] == 2
    assert engine.parse(fixture_text("google/page2.html"), second.next, QUERY) == Page((), None)


def test_stops_after_max_pages(fixture_text: Callable[[str], str]) -> None:
    body = fixture_text("google/page0.html")
    request = engine.first_request(QUERY, BASE)
    for page_number in range(1, MAX_PAGES):
        page = engine.parse(body, request, QUERY)
        assert page.next is not None
        assert page.next.params["ijn"] == page_number
        # Forget what was seen, so the same body is new on every page.
        request = replace(page.next, state={**page.next.state, "seen": frozenset()})
    last = engine.parse(body, request, QUERY)
    assert (len(last.candidates), last.next) == (3, None)


def test_a_page_without_image_data_is_noted(fixture_text: Callable[[str], str]) -> None:
    for body in (fixture_text("google/consent.html"), "", None, ["x"]):
        page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
        assert (page.candidates, page.next) == ((), None)
        assert page.note is not None


def test_unescape_falls_back_on_broken_escapes() -> None:
    body = '["https://x.example/a.jpg?a\\u003d1\\u0026b\\x",10,20]'
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert [c.url for c in page.candidates] == ["https://x.example/a.jpg?a=1&b\\x"]
