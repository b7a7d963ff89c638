"""The search world speaks each engine's format well enough for PixCrawler's own parsers."""

import asyncio

import httpx
import pytest

from pixcrawler.builder.discovery._pages import Discovery
from pixcrawler.builder.discovery.engines import SearchQuery, get_engine
from pixcrawler.config import Settings
from pixcrawler.errors import (
    PixCrawlerError,
    ServiceUnavailableError,
    TimeoutException,
)
from pixcrawler.licenses import license_family
from pixcrawler.records import Candidate

from .search_world import ALL_ENGINES, SearchWorld, baidu_obfuscate

QUERY = SearchQuery("tabby cat", "tabby cat")


def crawl(world: SearchWorld, engine: str, query: SearchQuery = QUERY) -> list[Candidate]:
    """Every candidate ``Discovery`` finds for ``query`` on ``engine`` in the world."""
    settings = Settings(
        **world.settings_overrides(), allow_private_network=True, max_concurrency=8,
        read_timeout=0.5,
    )  # fmt: skip

    async def run() -> list[Candidate]:
        discovery = Discovery(settings)
        try:
            pages = discovery.pages(get_engine(engine), query)
            return [candidate async for page in pages for candidate in page.candidates]
        finally:
            await discovery.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_every_engine_pages_through_its_results(world: SearchWorld, engine: str) -> None:
    world.install(images_per_query=5, pages=3)
    found = crawl(world, engine)
    assert [c.url for c in found] == [
        r.url for page in range(3) for r in world.results(engine, "tabby cat", page)
    ]
    assert {c.source for c in found} == {engine}
    assert [page for _, page in world.searches(engine) if page >= 0][:3] == [0, 1, 2]
    with httpx.Client() as client:
        bodies = [client.get(c.url).content for c in found]
    assert all(body.startswith(b"\xff\xd8") and len(body) >= 1024 for body in bodies)
    assert len(set(bodies)) == 5


def test_licences_only_where_the_engine_has_them(world: SearchWorld) -> None:
    world.install(images_per_query=12, pages=1)
    for engine in ("openverse", "wikimedia"):
        found = crawl(world, engine)
        assert all(c.license and c.attribution for c in found)
        assert len({c.license for c in found}) >= 3
    assert all(c.license is None for c in crawl(world, "bing"))


def test_openverse_filters_licences_server_side(world: SearchWorld) -> None:
    world.install(images_per_query=12, pages=1)
    found = crawl(world, "openverse", SearchQuery("tabby cat", "tabby cat", ("cc0", "by")))
    assert found
    assert {license_family(c.license) for c in found} == {"cc0", "pd", "by"}
    assert world.server.queries["/v1/images/"][-1]["license"] == ["by,cc0,pdm"]


def test_queries_differ_but_a_tenth_is_shared_across_engines(world: SearchWorld) -> None:
    world.install(images_per_query=50, pages=1)
    cat, fox = world.results("bing", "tabby cat", 0), world.results("bing", "red fox", 0)
    assert not {r.seed for r in cat} & {r.seed for r in fox}
    ddg = world.results("duckduckgo", "tabby cat", 0)
    same = [a.index for a, b in zip(cat, ddg, strict=True) if a.seed == b.seed]
    assert same == [r.index for r in cat if r.shared]
    assert 1 <= len(same) <= 12


def test_baidu_obfuscation_is_what_the_engine_undoes() -> None:
    from pixcrawler.builder.discovery.engines.baidu import decode_obj_url

    url = "http://127.0.0.1:8080/img/baidu/tabby-cat-1a2b/0/3.jpg"
    assert baidu_obfuscate(url).startswith("ippr_z2C$qAzdH3FAzdH3F")
    assert decode_obj_url(baidu_obfuscate(url)) == url


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_down_answers_503_to_every_attempt(world: SearchWorld, engine: str) -> None:
    world.install()
    world.fail(engine, "down")
    with pytest.raises(ServiceUnavailableError):
        crawl(world, engine)
    assert world.requests(engine) == 3
    assert world.queries(engine) == ["tabby cat"] * 3


def test_timeout_outlasts_the_read_timeout(world: SearchWorld) -> None:
    world.install()
    world.fail("openverse", "timeout")
    with pytest.raises(TimeoutException):
        crawl(world, "openverse")
    assert world.requests("openverse") == 3


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_malformed_and_empty_pages_yield_nothing(world: SearchWorld, engine: str) -> None:
    world.install()
    for mode in ("malformed", "empty"):
        world.fail(engine, mode)
        try:
            assert crawl(world, engine) == []
        except PixCrawlerError as error:  # JSON engines: the page is not JSON at all
            assert mode == "malformed"
            assert "malformed JSON" in error.reason


def test_broken_images_are_results_that_answer_404(world: SearchWorld) -> None:
    world.install(images_per_query=3, pages=1)
    world.fail("google", "broken_images")
    found = crawl(world, "google")
    assert len(found) == 3
    with httpx.Client() as client:
        assert {client.get(c.url).status_code for c in found} == {404}
    assert world.image_requests("google") == 3
