"""Fixtures for the whole suite: an offline test environment, the local image server, services.

Every test gets ``server``: the one session-wide ``FixtureServer``, emptied of routes and counts
before the test, so a test registers whatever paths it likes without colliding with another's
(``server.unique_path(name)`` helps when one test needs many). ``failure_modes`` installs the
catalogue of web misbehaviours on it and returns name -> URL.
"""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixcrawler.config import get_settings
from support.images import ImageSet
from support.query_routes import QueryFixtureServer
from support.search_world import SearchWorld
from support.server import FixtureServer
from support.services import require_service

_SERVICE_FIXTURES = frozenset({"postgres_url", "redis_url", "rabbitmq_url"})


# Before any other conftest or test module is imported: a data dir of the suite's own, never
# ~/.pixcrawler. Objects built at import time (the Celery app and its filesystem broker, first
# imported by tests/jobs/conftest.py) read the settings then, before ``_test_env`` gives each
# test its own folder.
_SUITE_DIR = tempfile.mkdtemp(prefix="pixcrawler-tests-")
atexit.register(shutil.rmtree, _SUITE_DIR, ignore_errors=True)
os.environ["PIXCRAWLER_DATA_DIR"] = _SUITE_DIR
get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _test_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings for a test: loopback allowed, retry waits zeroed, data kept under ``tmp_path``."""
    monkeypatch.setenv("PIXCRAWLER_ALLOW_PRIVATE_NETWORK", "1")
    monkeypatch.setenv("PIXCRAWLER_RETRY_WAIT_SCALE", "0")
    monkeypatch.setenv("PIXCRAWLER_ENVIRONMENT", "test")
    monkeypatch.setenv("PIXCRAWLER_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def images() -> ImageSet:
    """Pre-encoded pictures, pairwise distinct to a perceptual hash (see ``ImageSet``)."""
    return ImageSet.build()


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[FixtureServer]:
    """The session's running ``FixtureServer``; tests normally want ``server`` instead."""
    with FixtureServer() as running:
        yield running


@pytest.fixture
def server(fixture_server: FixtureServer) -> Iterator[FixtureServer]:
    """The session's server with no routes and zeroed counts; fails the test on a server error."""
    fixture_server.clear()
    fixture_server.errors.clear()
    yield fixture_server
    assert not fixture_server.errors, f"the fixture server failed: {fixture_server.errors!r}"


@pytest.fixture
def failure_modes(server: FixtureServer, images: ImageSet) -> dict[str, str]:
    """The failure-mode catalogue installed on ``server``: name -> URL."""
    return server.install_failure_modes(images)


@pytest.fixture(scope="module")
def search_server() -> Iterator[QueryFixtureServer]:
    """A query-aware fixture server for the search world, per test module."""
    running = QueryFixtureServer().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def world(search_server: QueryFixtureServer) -> Iterator[SearchWorld]:
    """An empty search world; each test installs the engines and result counts it needs."""
    search_server.clear()
    search_server.errors.clear()
    yield SearchWorld(search_server)
    assert not search_server.errors, f"the search world failed: {search_server.errors!r}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL database for tests, or a skip when none listens locally."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database for tests, or a skip when none listens locally."""
    require_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """A RabbitMQ broker for tests, or a skip when none listens locally."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return "amqp://guest:guest@127.0.0.1:5672//"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a service fixture ``services``, so ``-m "not services"`` works."""
    for item in items:
        if _SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)
