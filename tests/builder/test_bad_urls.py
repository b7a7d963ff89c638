"""URLs httpx cannot send are permanent "bad url" rows: no traceback, no retry, real attempts."""

import asyncio
import json
from pathlib import Path

import pytest

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.builder.discovery import read_url_list
from pixcrawler.config import Settings
from pixcrawler.records import Candidate
from support.server import FixtureServer, Response


def _build(urls: list[str], out: Path, processes: int) -> list[dict[str, object]]:
    candidates = [Candidate(url, "cats", "url_list") for url in urls]
    options = BuildOptions(validation_workers=0, processes=processes, warm_start=False)
    settings = Settings(read_timeout=2, max_bytes=2_000_000, min_file_bytes=100)
    asyncio.run(build_dataset(candidates, out, settings, options)).close()
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("processes", [1, 2])
def test_bad_urls_are_permanent_rows_never_retried(
    server: FixtureServer, tmp_path: Path, processes: int
) -> None:
    redirect = server.add_sequence(
        "/moved.jpg", [Response(302, headers={"Location": "http://[::1/x"})]
    )
    control = server.url("/a\x00b.jpg")
    long_url = server.url("/" + "a" * 70_000)
    rows = _build([redirect, control, long_url], tmp_path / "ds", processes)

    by_url = {row["url"]: row for row in rows}
    assert by_url[redirect]["reason"] == "bad url (redirect Location: Invalid port: ':1')"
    assert by_url[redirect]["attempts"] == 1  # the request that got the redirect
    for url in (control, long_url):
        assert str(by_url[url]["reason"]).startswith("bad url (")
        assert by_url[url]["attempts"] == 0  # refused before any request
    assert {row["status"] for row in rows} == {"download_failed"}
    assert server.count("/moved.jpg") == 1

    _build([redirect, control, long_url], tmp_path / "ds", processes)
    assert server.count("/moved.jpg") == 1, "a bad url is permanent: the rerun skips it"


def test_a_list_with_bad_rows_costs_only_those_rows(
    server: FixtureServer, failure_modes: dict[str, str], tmp_path: Path
) -> None:
    good = [failure_modes["ok_1"], failure_modes["ok_2"]]
    listing = tmp_path / "cats.csv"
    listing.write_bytes(
        b"url,label\n"
        + f"{good[0]},cats\n".encode()
        + b"https://e.com/" + b"x" * 200_000 + b",cats\n"
        + "https://e.com/caf\xe9.jpg,cats\n".encode("latin-1")
        + b"not a url,cats\n"
        + f"{good[1]},cats\n".encode()
    )  # fmt: skip
    out = tmp_path / "ds"
    settings = Settings(read_timeout=2, max_bytes=2_000_000, min_file_bytes=100)
    options = BuildOptions(validation_workers=0)
    asyncio.run(build_dataset(read_url_list(listing), out, settings, options)).close()
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [(row["status"], row["reason"]) for row in rows] == [
        ("kept", "kept"),
        ("download_failed", "bad row at line 3: bad CSV (field larger than field limit (131072))"),
        ("download_failed", "bad row at line 4: not UTF-8 (byte 0xe9 at column 18)"),
        ("download_failed", "bad row at line 5: not an http(s) URL"),
        ("kept", "kept"),
    ]
    assert all(row["attempts"] == 0 for row in rows[1:4])
