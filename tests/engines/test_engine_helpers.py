"""The engines' small helpers: HTML text and attributes, type-checked JSON reads."""

import pytest

from pixcrawler.builder.discovery.engines._html import elements_with_class, strip_tags
from pixcrawler.builder.discovery.engines._values import (
    as_dict,
    as_list,
    http_url,
    integer,
    string_set,
    text,
)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<bdi><a href="//x">Jane&#160;Doe</a>\n</bdi>', "Jane Doe"),
        ("Kim &amp; <b>Lee</b>", "Kim & Lee"),
        ("<p>unclosed <span>tags", "unclosed tags"),
        ("<![foo[ bar ]]>before", ""),  # html.parser gives up; nothing usable was read
        ("", ""),
    ],
)
def test_strip_tags(fragment: str, expected: str) -> None:
    assert strip_tags(fragment) == expected


def test_elements_with_class_reads_any_quoting_and_order() -> None:
    document = (
        '<a class="iusc x" m="{&quot;a&quot;:1}">1</a>'
        "<a m='{\"a\":2}' class=iusc>2</a>"
        '<a class="iuscx" m="no">3</a><div class="iusc" m="div"></div>'
        '<a class="iusc" m="self-closing"/>'
        '<a class="iusc" m="cut'
    )
    found = [attrs["m"] for attrs in elements_with_class(document, "a", "iusc")]
    assert found == ['{"a":1}', '{"a":2}', "self-closing"]


def test_json_reads() -> None:
    assert as_dict({"a": 1}) == {"a": 1} and as_dict([1]) is None
    assert as_list([1]) == [1] and as_list({"a": 1}) == []
    assert text({"k": "  v "}, "k") == "v"
    assert text({"k": "  "}, "k") is None and text({"k": 3}, "k") is None
    assert http_url(" https://x.example/a ") == "https://x.example/a"
    assert http_url("ftp://x") is None and http_url("https://") is None and http_url(7) is None
    assert (integer(3), integer("12"), integer("x", 5), integer(True, 1), integer(None)) == (
        3, 12, 5, 1, 0,
    )  # fmt: skip
    assert string_set(frozenset({"a"})) == {"a"} and string_set(["a"]) == frozenset()
