"""``pixcrawler engines check`` and the library call behind it, against the local fake engines."""

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from pixcrawler.builder.discovery import EngineCheck, check_engines
from pixcrawler.builder.discovery.engines import ENGINES
from pixcrawler.config import Settings
from support.query_routes import QueryFixtureServer
from support.search_world import SearchWorld


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def check(world: SearchWorld, **overrides: str) -> dict[str, EngineCheck]:
    settings = Settings(
        **{**world.settings_overrides(), **overrides}, allow_private_network=True,
        max_concurrency=8,
    )  # fmt: skip
    return {c.engine: c for c in asyncio.run(check_engines(tuple(ENGINES), "red fox", settings))}


def test_every_engine_answers(engine_server: QueryFixtureServer) -> None:
    world = SearchWorld(engine_server).install(images_per_query=4, pages=2)
    checks = check(world)
    assert {name: (c.status, c.results) for name, c in checks.items()} == {
        name: ("ok", 2) for name in ENGINES
    }  # the first page of each: 2 of 4 results
    assert checks["bing"].line == "bing: ok, 2 results"
    assert world.searches("duckduckgo") == [("red fox", -1), ("red fox", 0)]  # token, results


def test_an_empty_engine_reports_its_parser_note(engine_server: QueryFixtureServer) -> None:
    world = SearchWorld(engine_server).install()
    world.fail("bing", "empty")
    world.fail("wikimedia", "empty")
    checks = check(world)
    assert checks["bing"].line == "bing: empty, parser found nothing"
    assert checks["wikimedia"].line == "wikimedia: empty, no results"  # Commons: batchcomplete
    assert checks["openverse"].status == "ok"


def test_a_failing_engine_is_reported_not_raised(engine_server: QueryFixtureServer) -> None:
    world = SearchWorld(engine_server).install()
    world.fail("google", "down")
    checks = check(world)
    assert checks["google"].line == "google: failed, http 503"
    assert checks["baidu"].status == "ok"


def test_unreachable_hosts(engine_server: QueryFixtureServer) -> None:
    world = SearchWorld(engine_server).install()
    refused = closed_port_url()
    checks = check(world, bing_base_url=refused, google_base_url="http://no-such-host.invalid")
    assert checks["bing"].status == "unreachable"
    assert checks["bing"].detail.startswith(f"{refused} did not answer (network error")
    assert checks["google"].line == (
        "google: unreachable, no network (cannot resolve no-such-host.invalid)"
    )
    assert checks["duckduckgo"].status == "ok"


def test_the_command(engine_server: QueryFixtureServer, tmp_path: Path) -> None:
    world = SearchWorld(engine_server).install()
    env = {
        **os.environ, **world.base_urls(), "COLUMNS": "60",
        "PIXCRAWLER_BAIDU_BASE_URL": "http://no-such-host.invalid",
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "engines", "check", "--query", "red fox"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines == [
        "openverse: ok, 2 results",
        "wikimedia: ok, 2 results",
        "bing: ok, 2 results",
        "duckduckgo: ok, 2 results",
        "google: ok, 2 results",
        "baidu: unreachable, no network (cannot resolve no-such-host.invalid)",
    ]  # fmt: skip - one line each, however narrow the terminal
    assert result.returncode == 1  # an engine did not work
    assert "Traceback" not in result.stderr


def test_the_command_refuses_an_unknown_engine(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pixcrawler", "engines", "check", "--engines", "bing,altavista"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown engine altavista" in result.stderr
    assert "Traceback" not in result.stderr
