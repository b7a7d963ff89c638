"""Each engine driven by ``Discovery`` against the local server: pages, retries and failures."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pixcrawler.builder.discovery._pages import Discovery
from pixcrawler.builder.discovery.engines import ENGINES, Page, SearchQuery, get_engine
from pixcrawler.config import Settings
from pixcrawler.errors import NotFoundError, TimeoutException, ValidationError
from support.query_routes import Query, QueryFixtureServer, QueryHandler
from support.server import Response

QUERY = SearchQuery("tabby cat", "tabby cat")
#: Per engine: the path of its first request, and a recorded body that ends the crawl there.
FIRST_PAGE = {
    "bing": ("/images/async", "bing/no_results.html"),
    "duckduckgo": ("/", "duckduckgo/no_token.html"),
    "google": ("/search", "google/consent.html"),
    "baidu": ("/search/acjson", "baidu/last.json"),
    "openverse": ("/v1/images/", "openverse/empty.json"),
    "wikimedia": ("/w/api.php", "wikimedia/no_results.json"),
}
JSON_ENGINES = ("openverse", "wikimedia")

Read = Callable[[str], str]


def crawl(
    server: QueryFixtureServer,
    name: str,
    query: SearchQuery = QUERY,
    max_pages: int | None = None,
    **settings: Any,
) -> list[Page]:
    """Every page ``Discovery`` yields for ``query`` on engine ``name`` pointed at ``server``."""
    # One client is plenty here; each extra one costs an SSL context (~70 ms) to build.
    config = Settings(**{f"{name}_base_url": server.base_url, "max_concurrency": 8, **settings})

    async def run() -> list[Page]:
        discovery = Discovery(config)
        try:
            engine = get_engine(name)
            return [page async for page in discovery.pages(engine, query, max_pages=max_pages)]
        finally:
            await discovery.aclose()

    return asyncio.run(run())


def by_parameter(name: str, bodies: dict[str, str], content_type: str) -> QueryHandler:
    """A route answering ``bodies[value of parameter name]`` ("" when absent), else 404."""

    def answer(query: Query) -> Response:
        body = bodies.get(query.get(name, [""])[0])
        if body is None:
            return Response(404, b"no such page\n", content_type="text/plain")
        return Response(body=body.encode(), content_type=content_type)

    return answer


def urls(pages: list[Page]) -> list[str]:
    return [candidate.url for page in pages for candidate in page.candidates]


def asked(server: QueryFixtureServer, path: str, name: str) -> list[str]:
    return [query.get(name, [""])[0] for query in server.queries[path]]


def test_bing(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    pages = {"1": "page1", "36": "page2", "71": "page3"}
    bodies = {first: fixture_text(f"bing/{page}.html") for first, page in pages.items()}
    engine_server.add_handler("/images/async", by_parameter("first", bodies, "text/html"))
    found = crawl(engine_server, "bing")
    assert len(urls(found)) == len(set(urls(found))) == 5  # page 2's product tile skipped
    assert found[-1] == Page((), None)
    assert asked(engine_server, "/images/async", "first") == ["1", "36", "71"]


def test_bing_licence_filter_is_sent_as_the_site_sends_it(
    engine_server: QueryFixtureServer, fixture_text: Read
) -> None:
    bodies = {"1": fixture_text("bing/page3.html")}
    engine_server.add_handler("/images/async", by_parameter("first", bodies, "text/html"))
    query = SearchQuery("tabby cat", "tabby cat", licenses=("cc0",))
    crawl(engine_server, "bing", query, max_pages=1)
    (target,) = engine_server.targets["/images/async"]
    assert target.endswith("&qft=+filterui:license-L1")  # colon and plus as Bing's own page
    assert asked(engine_server, "/images/async", "qft") == [" filterui:license-L1"]
    assert {q["q"][0] for q in engine_server.queries["/images/async"]} == {"tabby cat"}


def test_bing_stops_at_max_pages(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    bodies = {"1": fixture_text("bing/page1.html"), "36": fixture_text("bing/page2.html")}
    engine_server.add_handler("/images/async", by_parameter("first", bodies, "text/html"))
    assert len(crawl(engine_server, "bing", max_pages=1)) == 1
    assert engine_server.count("/images/async") == 1


def test_duckduckgo(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    engine_server.add("/", fixture_text("duckduckgo/token_ampersand.html").encode(), "text/html")
    bodies = {
        "": fixture_text("duckduckgo/page1.json"),
        "100": fixture_text("duckduckgo/page2.json"),
    }
    engine_server.add_handler("/i.js", by_parameter("s", bodies, "application/json"))
    found = crawl(engine_server, "duckduckgo")
    assert [len(page.candidates) for page in found] == [0, 3, 2]  # the token page, then results
    assert engine_server.queries["/"][0]["iax"] == ["images"]
    assert asked(engine_server, "/i.js", "s") == ["", "100"]
    assert asked(engine_server, "/i.js", "vqd") == ["4-211330391537856134178127384736457383931"] * 2


def test_duckduckgo_retries_its_json_step(
    engine_server: QueryFixtureServer, fixture_text: Read
) -> None:
    engine_server.add("/", fixture_text("duckduckgo/token_json.html").encode(), "text/html")
    page2 = fixture_text("duckduckgo/page2.json").encode()
    engine_server.add_sequence(
        "/i.js", [_error(503), Response(body=page2, content_type="text/json")]
    )
    assert len(urls(crawl(engine_server, "duckduckgo"))) == 2
    assert engine_server.count("/i.js") == 2


def test_google(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    bodies = {str(n): fixture_text(f"google/page{n}.html") for n in range(3)}
    engine_server.add_handler("/search", by_parameter("ijn", bodies, "text/html; charset=UTF-8"))
    found = crawl(engine_server, "google")
    assert len(urls(found)) == len(set(urls(found))) == 5
    assert asked(engine_server, "/search", "start") == ["0", "100", "200"]


def test_baidu(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    pages = {"0": "page1", "30": "page2", "60": "last"}
    bodies = {pn: fixture_text(f"baidu/{page}.json") for pn, page in pages.items()}
    engine_server.add_handler("/search/acjson", by_parameter("pn", bodies, "text/html"))
    found = crawl(engine_server, "baidu")
    assert [len(page.candidates) for page in found] == [4, 2, 0]
    assert found[0].candidates[0].title == "tabby cat's nap"  # survived the invalid escape
    assert all(page.note is None for page in found)


def test_openverse(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    bodies = {str(n): fixture_text(f"openverse/page{n}.json") for n in (1, 2)}
    engine_server.add_handler("/v1/images/", by_parameter("page", bodies, "application/json"))
    query = SearchQuery("tabby cat", "tabby cat", licenses=("cc0", "by", "by-sa"))
    found = crawl(engine_server, "openverse", query)
    assert [len(page.candidates) for page in found] == [3, 2]
    assert asked(engine_server, "/v1/images/", "license") == ["by,by-sa,cc0,pdm"] * 2
    assert asked(engine_server, "/v1/images/", "page_size") == ["20", "20"]


def test_wikimedia(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    bodies = {"": fixture_text("wikimedia/page1.json"), "50": fixture_text("wikimedia/page2.json")}
    engine_server.add_handler("/w/api.php", by_parameter("gsroffset", bodies, "application/json"))
    found = crawl(engine_server, "wikimedia")
    assert [len(page.candidates) for page in found] == [4, 2]
    second = engine_server.queries["/w/api.php"][1]
    assert (second["continue"], second["gsrsearch"]) == (
        ["gsroffset||"],
        ["tabby cat filetype:bitmap"],
    )


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_a_503_then_200_page_is_retried(
    name: str, engine_server: QueryFixtureServer, fixture_text: Read
) -> None:
    path, last = FIRST_PAGE[name]
    engine_server.add_sequence(path, [_error(503), Response(body=fixture_text(last).encode())])
    assert len(crawl(engine_server, name)) == 1
    assert engine_server.count(path) == 2


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_a_404_page_fails_after_one_request(name: str, engine_server: QueryFixtureServer) -> None:
    path, _ = FIRST_PAGE[name]
    engine_server.add_sequence(path, [_error(404)])
    with pytest.raises(NotFoundError):
        crawl(engine_server, name)
    assert engine_server.count(path) == 1


@pytest.mark.parametrize("name", ["bing", "openverse"])
def test_a_page_timing_out_costs_three_requests(
    name: str, engine_server: QueryFixtureServer, fixture_text: Read
) -> None:
    path, last = FIRST_PAGE[name]
    engine_server.add_sequence(path, [Response(body=fixture_text(last).encode(), delay=0.5)])
    with pytest.raises(TimeoutException):
        crawl(engine_server, name, read_timeout=0.1)
    assert engine_server.count(path) == 3


@pytest.mark.parametrize("name", JSON_ENGINES)
@pytest.mark.parametrize("fixture", ["truncated.json", "error_page.html"])
def test_malformed_json_is_a_validation_error(
    name: str, fixture: str, engine_server: QueryFixtureServer, fixture_text: Read
) -> None:
    path, _ = FIRST_PAGE[name]
    engine_server.add(path, fixture_text(f"{name}/{fixture}").encode(), "application/json")
    with pytest.raises(ValidationError, match=r"^malformed JSON \("):
        crawl(engine_server, name)
    assert engine_server.count(path) == 1  # permanent: not retried


def test_duckduckgo_html_instead_of_json(
    engine_server: QueryFixtureServer, fixture_text: Read
) -> None:
    engine_server.add("/", fixture_text("duckduckgo/token_quoted.html").encode(), "text/html")
    engine_server.add("/i.js", fixture_text("duckduckgo/error_page.html").encode(), "text/html")
    with pytest.raises(ValidationError, match="malformed JSON"):
        crawl(engine_server, "duckduckgo")


def test_baidu_broken_json_is_a_note(engine_server: QueryFixtureServer, fixture_text: Read) -> None:
    engine_server.add("/search/acjson", fixture_text("baidu/truncated.json").encode(), "text/html")
    assert crawl(engine_server, "baidu") == [Page((), None, note="malformed response: not JSON")]


def _error(status: int) -> Response:
    return Response(status, f"error {status}\n".encode(), content_type="text/plain")
