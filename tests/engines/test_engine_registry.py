"""The engine registry, and every parser surviving whatever a server may send."""

import random
from typing import Any

import pytest

from pixcrawler.builder.discovery import engines as engines_package
from pixcrawler.builder.discovery.engines import (
    DEFAULT_ENGINES,
    ENGINES,
    Engine,
    Page,
    PageRequest,
    SearchQuery,
    get_engine,
    parse_engine_list,
)
from pixcrawler.builder.discovery.engines import __all__ as public_names

QUERY = SearchQuery("tabby cat", "tabby cat", licenses=("cc0", "by"))


def test_registry_names_match_engines() -> None:
    assert set(ENGINES) == {"bing", "duckduckgo", "google", "baidu", "openverse", "wikimedia"}
    assert all(engine.name == name for name, engine in ENGINES.items())
    assert set(DEFAULT_ENGINES) <= set(ENGINES)
    assert DEFAULT_ENGINES[:2] == ("openverse", "wikimedia")  # licence-aware first


def test_public_api_is_complete() -> None:
    # ruff (RUF022) keeps ``__all__`` sorted; here every name must exist and every engine be in.
    assert all(hasattr(engines_package, name) for name in public_names)
    classes = {type(engine).__name__ for engine in ENGINES.values()}
    assert classes <= set(public_names)


def test_get_engine() -> None:
    assert get_engine("bing") is ENGINES["bing"]
    with pytest.raises(KeyError, match="unknown engine 'yahoo'; known: openverse, wikimedia"):
        get_engine("yahoo")


def test_parse_engine_list() -> None:
    assert parse_engine_list(" Bing,duckduckgo,,bing ") == ("bing", "duckduckgo")
    with pytest.raises(ValueError, match="unknown engine yahoo, ask; known: openverse"):
        parse_engine_list("bing,yahoo,ask")
    with pytest.raises(ValueError, match="no engine given"):
        parse_engine_list(" , ")


def _requests(engine: Engine) -> list[PageRequest]:
    """The first request and, for multi-step engines, a later one (DuckDuckGo's JSON step)."""
    first = engine.first_request(QUERY, "https://engine.example")
    token_step = (
        engine.parse('vqd="4-1"', first, QUERY).next if engine.name == "duckduckgo" else None
    )
    return [first] if token_step is None else [first, token_step]


def _random_bodies() -> list[Any]:
    rng = random.Random(20240611)
    alphabet = "<>\"'&;=/{}[]:,\\ abcvqdiuscm0123456789\u00e9\ue000\x00"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(40)]
    return [*texts, rng.randbytes(300)]


ODD_BODIES: list[Any] = [
    None, True, 0, 3.5, "", "\x00\xff", "<![foo[ bar ]]>", b"<html>", [], [None, 1, "x"], {},
    {"results": None}, {"results": [None, 1, "x", {"image": 5, "url": []}]}, {"results": {}},
    {"data": "x"}, {"data": [None, {"objURL": 5, "replaceUrl": "x"}, {"replaceUrl": [None]}]},
    {"query": {"pages": {"1": None, "2": {"imageinfo": [None]}, "3": {"imageinfo": "x"}}}},
    {"query": {"pages": {"1": {"imageinfo": [{"mime": "image/jpeg", "url": 5,
     "extmetadata": {"Artist": 5, "LicenseShortName": {"value": ["x"]}}}]}}},
     "continue": {"gsroffset": [1], "x": None}},
    {"results": [], "page": "x", "page_count": None}, {"next": 5, "results": [{"image": "x"}]},
    {"error": "x"}, {"antiFlag": "1"}, {"displayNum": "many", "data": [{"middleURL": None}]},
    '[["https://x.example/a.jpg",1,2]', '<a class="iusc" m="[1,2]">', '<a class="iusc" m="5">',
    '<a class="iusc" m=\'{"murl": 5}\'>', "vqd=", '{"data": [}', "[" * 5000,
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_parsers_never_raise(name: str) -> None:
    engine = get_engine(name)
    for request in _requests(engine):
        for body in [*ODD_BODIES, *_random_bodies()]:
            page = engine.parse(body, request, QUERY)
            assert isinstance(page, Page)
            assert all(c.url.startswith(("http://", "https://")) for c in page.candidates)
            assert page.candidates or page.next is None or page.note is None
