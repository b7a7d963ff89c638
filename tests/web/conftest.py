"""Fixtures for the dashboard's browser tests: a served app, Debian's chromium, watched pages.

``service`` is one ``pixcrawler serve`` per module, its engines answering from a gated search
world (``search_gate``); ``browser`` is headless chromium driven by Playwright; ``open_page``
gives a page that records console errors and any request leaving for another host.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from dashboard_browser import ENGINES, Watched
from dashboard_service import GatedSearchServer, Service, running_service

from support.search_world import SearchWorld
from support.services import REQUIRE_SERVICES_ENV

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def search_gate() -> Iterator[GatedSearchServer]:
    """The search world's server; clear ``.gate`` to hold every engine answer."""
    server = GatedSearchServer().start()
    try:
        yield server
    finally:
        server.gate.set()
        server.stop()


@pytest.fixture(scope="module")
def service(search_gate: GatedSearchServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Service]:  # fmt: skip
    """``pixcrawler serve`` on the embedded defaults, engines pointed at the search world."""
    world = SearchWorld(search_gate, shared_fraction=0.3).install(
        ENGINES, images_per_query=4, pages=2
    )
    with running_service(tmp_path_factory.mktemp("served") / "data", world.base_urls()) as up:
        yield up
    assert not search_gate.errors, f"the search world failed: {search_gate.errors!r}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium (Debian's; Playwright's own download is not used)."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} missing: run scripts/install-test-services.sh"
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_page(browser: Any, service: Service, tmp_path: Path) -> Iterator[Callable[..., Watched]]:
    """``open_page(javascript=True)``: a page in a fresh browser context (its own cookies)."""
    contexts = []
    origin = urlsplit(service.base_url).netloc

    def opened(*, javascript: bool = True) -> Watched:
        context = browser.new_context(
            base_url=service.base_url, java_script_enabled=javascript, accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        contexts.append(context)
        watched = Watched(context.new_page())
        watched.page.on("console", lambda message: _console(watched, message))
        watched.page.on("pageerror", lambda error: watched.console_errors.append(str(error)))
        watched.page.on("request", lambda request: _request(watched, origin, request.url))
        return watched

    yield opened
    for context in contexts:
        context.close()


def _console(watched: Watched, message: Any) -> None:
    if message.type == "error":
        watched.console_errors.append(message.text)


def _request(watched: Watched, origin: str, url: str) -> None:
    if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != origin:
        watched.foreign_requests.append(url)
