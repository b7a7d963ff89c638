"""QueryFixtureServer answers by query string and records what each request asked."""

from collections.abc import Iterator

import httpx
import pytest

from .query_routes import Query, QueryFixtureServer
from .server import Response


@pytest.fixture(scope="module")
def query_server() -> Iterator[QueryFixtureServer]:
    with QueryFixtureServer() as running:
        yield running


def _by_page(query: Query) -> Response:
    page = query.get("page", ["1"])[0]
    return Response(body=f"page {page}".encode(), content_type="text/plain")


def test_handler_answers_by_query_and_counts(query_server: QueryFixtureServer) -> None:
    query_server.clear()
    url = query_server.add_handler("/search", _by_page)
    with httpx.Client() as client:
        assert client.get(url, params={"page": 2}).text == "page 2"
        assert client.get(url).text == "page 1"
    assert query_server.count("/search") == 2
    assert query_server.queries["/search"] == [{"page": ["2"]}, {}]
    assert not query_server.errors


def test_plain_routes_still_work_and_record_queries(query_server: QueryFixtureServer) -> None:
    query_server.clear()
    url = query_server.add("/plain", b"hello", content_type="text/plain")
    with httpx.Client() as client:
        assert client.get(url, params={"q": "x y"}).text == "hello"
        assert client.get(query_server.url("/missing")).status_code == 404
    assert query_server.count("/plain") == 1
    assert query_server.queries["/plain"] == [{"q": ["x y"]}]


def test_clear_forgets_handlers_and_queries(query_server: QueryFixtureServer) -> None:
    query_server.clear()
    url = query_server.add_handler("/gone", _by_page)
    with httpx.Client() as client:
        client.get(url)
        query_server.clear()
        assert client.get(url).status_code == 404
    assert query_server.queries["/gone"] == [{}]
    assert query_server.count("/gone") == 1
