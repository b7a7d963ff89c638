"""Fixtures for engine tests: recorded response bodies, and a server that answers by query.

Bodies live in ``tests/fixtures/engines/<engine>/``, hand-written in each engine's real format.
``engine_server`` is a session-wide ``QueryFixtureServer`` emptied before each test; its
``add_handler`` routes pick a page by a query parameter, as the engines page one path.
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.query_routes import QueryFixtureServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "engines"


def read_fixture(name: str) -> str:
    """The text of ``tests/fixtures/engines/<name>`` (e.g. ``"bing/page1.html"``)."""
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def fixture_text() -> Callable[[str], str]:
    """``fixture_text("bing/page1.html")``: a recorded body as the driver decodes text."""
    return read_fixture


@pytest.fixture
def fixture_json() -> Callable[[str], Any]:
    """``fixture_json("openverse/page1.json")``: a recorded body as the driver decodes JSON."""
    return lambda name: json.loads(read_fixture(name))


@pytest.fixture(scope="session")
def _engine_server_session() -> Iterator[QueryFixtureServer]:
    with QueryFixtureServer() as running:
        yield running


@pytest.fixture
def engine_server(_engine_server_session: QueryFixtureServer) -> Iterator[QueryFixtureServer]:
    """The session's query-aware server with no routes; fails the test on a server error."""
    _engine_server_session.clear()
    _engine_server_session.errors.clear()
    yield _engine_server_session
    assert not _engine_server_session.errors, f"server failed: {_engine_server_session.errors!r}"
