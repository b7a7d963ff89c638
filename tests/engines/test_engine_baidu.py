"""Baidu's parser: lenient JSON, obfuscated ``objURL`` decoding, paging by ``pn``."""

from collections.abc import Callable

import pytest

from pixcrawler.builder.discovery.engines import BaiduEngine, Page, SearchQuery
from pixcrawler.builder.discovery.engines.baidu import PAGE_SIZE, decode_obj_url, lenient_json

BASE = "https://image.baidu.com"
QUERY = SearchQuery("tabby cat", "tabby cat")
engine = BaiduEngine()


def test_first_request_reads_text() -> None:
    request = engine.first_request(QUERY, BASE)
    assert request.url == f"{BASE}/search/acjson"
    assert request.expect == "text"  # Baidu's "JSON" needs the lenient decoder
    params = dict(request.params)
    assert params["tn"] == "resultjson_com"
    assert (params["word"], params["queryWord"]) == ("tabby cat", "tabby cat")
    assert (params["pn"], params["rn"], params["ie"], params["oe"]) == (0, 30, "utf-8", "utf-8")


@pytest.mark.parametrize(
    ("obfuscated", "plain"),
    [
        ("ippr_z2C$qAzdH3FAzdH3Ft42_z&e3Bjxw4rsj_z&e3BvgAzdH3FvwpfAzdH3Fpwkky-k8_z&e3B3r2",
         "http://img.example.cn/cats/tabby-b1.jpg"),
        ("ippr_z2C$qAzdH3FAzdH3Fooo_z&e3B77p7o_z&e3Bv54AzdH3Ft4w2jetjovuwmjcn0_z&e3Bip4s",
         "http://www.uutuw.com/imageviewcfa6e537.html"),  # a sample from Baidu
        ("https://already.example/plain.jpg", "https://already.example/plain.jpg"),
    ],
)  # fmt: skip
def test_decode_obj_url(obfuscated: str, plain: str) -> None:
    assert decode_obj_url(obfuscated) == plain


def test_lenient_json_accepts_escaped_single_quotes() -> None:
    assert lenient_json('{"t": "cat\\\'s", "n": "a\tb"}') == {"t": "cat's", "n": "a\tb"}
    assert lenient_json("[1, 2]") is None
    assert lenient_json("{broken") is None


def test_page_one_fields(fixture_text: Callable[[str], str]) -> None:
    page = engine.parse(fixture_text("baidu/page1.json"), engine.first_request(QUERY, BASE), QUERY)
    assert page.note is None
    assert [(c.url, c.page_url, c.title) for c in page.candidates] == [
        (  # objURL and fromURL de-obfuscated; the title had an invalid \' escape
            "http://img.example.cn/cats/tabby-b1.jpg",
            "http://www.example.cn/cats/1.html",
            "tabby cat's nap",
        ),
        (  # plain URLs; no fromPageTitleEnc, so fromPageTitle without its tags
            "https://images.example.org/cats/tabby-b2.png",
            "https://www.example.org/tabby-b2",
            "Tabby kitten & friends",
        ),
        (  # objURL unreadable: the first replaceUrl copy and its page
            "http://img3.example.cn/it/u=42&fm=214&gp=0.jpg",
            "http://news.example.cn/a/42.html",
            "Tabby three",
        ),
        (  # nothing but Baidu's own copy
            "https://img1.baidu.com/it/u=1000000004,2000000004&fm=253&fmt=auto&app=138&f=JPEG?w=200&h=150",
            None,
            "Only Baidu's own copy",
        ),
    ]  # the trailing empty object skipped
    assert {(c.source, c.license) for c in page.candidates} == {("baidu", None)}


def test_pages_by_offset_until_an_empty_page(fixture_text: Callable[[str], str]) -> None:
    first = engine.parse(fixture_text("baidu/page1.json"), engine.first_request(QUERY, BASE), QUERY)
    assert first.next is not None
    assert first.next.params["pn"] == PAGE_SIZE
    assert first.next.headers == engine.first_request(QUERY, BASE).headers
    second = engine.parse(fixture_text("baidu/page2.json"), first.next, QUERY)
    assert [c.url for c in second.candidates] == [
        "https://img.example.cn/cats/tabby-b31.jpg",
        "http://img.example.cn/cats/tabby-b32.jpg",
    ]
    assert second.next is not None
    assert second.next.params["pn"] == 2 * PAGE_SIZE
    assert engine.parse(fixture_text("baidu/last.json"), second.next, QUERY) == Page((), None)


def test_stops_at_display_num() -> None:
    body = '{"displayNum": 30, "data": [{"thumbURL": "https://img.example/1.jpg"}, {}]}'
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert (len(page.candidates), page.next) == (1, None)


def test_an_already_decoded_body_is_accepted() -> None:
    body = {"data": [{"middleURL": "https://img.example/m.jpg"}]}
    page = engine.parse(body, engine.first_request(QUERY, BASE), QUERY)
    assert [c.url for c in page.candidates] == ["https://img.example/m.jpg"]


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("baidu/antispider.json", "blocked: Forbid spider access"),
        ("baidu/truncated.json", "malformed response: not JSON"),
        ("baidu/html_error.html", "malformed response: not JSON"),
    ],
)
def test_refusals_and_broken_bodies_are_noted(
    name: str, note: str, fixture_text: Callable[[str], str]
) -> None:
    page = engine.parse(fixture_text(name), engine.first_request(QUERY, BASE), QUERY)
    assert page == Page((), None, note=note)


def test_missing_data_is_noted() -> None:
    page = engine.parse('{"displayNum": 3}', engine.first_request(QUERY, BASE), QUERY)
    assert page.note == "malformed response: no 'data' list"
