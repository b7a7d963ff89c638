"""Keywords in, dataset out, against a local world speaking all six engines' real formats.

Most tests run ``python -m pixcrawler build "kw" ...`` as a user would, with every
``PIXCRAWLER_<ENGINE>_BASE_URL`` pointing at one ``SearchWorld``; the failure modes run in
process through ``build_dataset``, which is the same code without the interpreter start-up.
"""

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.builder.dataset.slug import slugify
from pixcrawler.builder.discovery._keyword_source import MAX_ENGINE_FAILURES, KeywordPlan
from pixcrawler.builder.discovery.keywords import variations
from pixcrawler.config import Settings
from pixcrawler.licenses import license_family, wanted_families
from pixcrawler.retry import MAX_ATTEMPTS
from support.search_world import ALL_ENGINES, SearchWorld

TEXT_ONLY_ENGINES = ("bing", "duckduckgo", "google", "baidu")
QUOTA_FILTERED = ("filtered", "per-class limit reached")


def pixcrawler(world: SearchWorld, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI with every engine pointed at ``world``, as a user's shell would."""
    env = {
        **os.environ,
        **world.base_urls(),
        "PIXCRAWLER_ALLOW_PRIVATE_NETWORK": "1",
        "PIXCRAWLER_RETRY_WAIT_SCALE": "0",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "pixcrawler", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def build_in_process(world: SearchWorld, plan: KeywordPlan, out: Path, per_class: int) -> None:
    settings = Settings(
        **world.settings_overrides(), allow_private_network=True, read_timeout=2.0,
        max_concurrency=16,
    )  # fmt: skip
    options = BuildOptions(per_class=per_class, validation_workers=0)
    asyncio.run(build_dataset(plan, out, settings, options)).close()


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kept_rows(out: Path, label: str | None = None) -> list[dict[str, Any]]:
    rows = jsonl(out / "manifest.jsonl")
    return [r for r in rows if r["status"] == "kept" and label in (None, r["label"])]


def class_files(out: Path, label: str) -> list[Path]:
    return sorted((out / "images" / slugify(label)).glob("*.jpg"))


def classes(out: Path) -> list[str]:
    names = json.loads((out / "labels" / "classes.json").read_text(encoding="utf-8"))
    assert isinstance(names, list)
    return names


def engine_of(url: str) -> str:
    """The engine whose results handed out ``url`` (``/img/<engine>/...``)."""
    return urlsplit(url).path.split("/")[2]


def query_errors(out: Path, engine: str) -> list[tuple[str, str, str | None]]:
    """``(label, query, error)`` of every recorded query of ``engine``."""
    with sqlite3.connect(out / ".pixcrawler" / "state.sqlite") as conn:
        sql = "SELECT label, query, error FROM queries WHERE engine = ? ORDER BY label, query"
        return list(conn.execute(sql, (engine,)))


def assert_bounded(world: SearchWorld, engine: str, labels: list[str]) -> None:
    """Each query of ``engine`` tried at most 3 times, and at most 2 failing queries a class."""
    attempts = Counter(world.queries(engine))
    assert attempts and max(attempts.values()) <= MAX_ATTEMPTS
    for label in labels:
        tried = [text for text in attempts if text.startswith(label)]
        assert 1 <= len(tried) <= MAX_ENGINE_FAILURES, (label, tried)


def table(stdout: str, title: str) -> dict[str, list[str]]:
    """The rows of the Rich table titled ``title``: first cell -> the other cells."""
    lines = [line.rstrip() for line in stdout.splitlines()]
    start = lines.index(title)
    rows: dict[str, list[str]] = {}
    for line in lines[start + 4 :]:
        if line.startswith("└"):
            break
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        rows[cells[0]] = cells[1:]
    return rows


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


# -- filling classes --------------------------------------------------------------------------


def test_keywords_fill_every_class_from_every_engine(world: SearchWorld, tmp_path: Path) -> None:
    world.install(ALL_ENGINES, images_per_query=2, pages=2)
    labels = ["tabby cat", "red fox", "barn owl"]
    result = pixcrawler(
        world, "build", *labels, "--per-class", "14", "--engines", ",".join(ALL_ENGINES),
        "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "ds"
    assert classes(out) == sorted(labels, key=slugify)
    metadata = jsonl(out / "metadata.jsonl")
    for label in labels:
        rows = kept_rows(out, label)
        assert len(class_files(out, label)) == len(rows) == 14
        assert {out / r["file_name"] for r in rows} == set(class_files(out, label))
        # Variations outer, engines inner: the first query of every engine comes first.
        assert {r["source"] for r in rows} == set(ALL_ENGINES)
        assert all(r["source"] == engine_of(r["url"]) for r in rows)
        assert {r["query"] for r in rows} <= set(variations(label))
        assert label in {r["query"] for r in rows}
        assert len({r["query"] for r in rows}) >= 2  # a second variation was needed
        assert sum(m["label"] == label for m in metadata) == 14
    for row in metadata:
        if row["source"] in ("openverse", "wikimedia"):
            assert license_family(row["license"]) or row["license"] == "GFDL"
            assert row["attribution"] and row["page_url"]
        else:
            assert row["license"] is None and row["attribution"] is None
    # The summary: candidates, downloaded, valid, unique, kept per class and per source.
    by_class = table(result.stdout, "Funnel")
    assert {label: cells[-1] for label, cells in by_class.items()} == {
        **dict.fromkeys(labels, "14"),
        "all": "42",
    }
    by_source = table(result.stdout, "Funnel by source")
    assert set(by_source) == {*ALL_ENGINES, "all"}
    assert by_source["all"][-1] == "42"
    engines = table(result.stdout, "Engines")  # queries, failed, pages, candidates
    assert set(engines) == set(ALL_ENGINES)
    assert all(int(cells[0]) >= 3 and cells[1] == "0" for cells in engines.values())


def test_the_same_photo_on_two_engines_is_kept_once(world: SearchWorld, tmp_path: Path) -> None:
    world.install(ALL_ENGINES, images_per_query=1, pages=1)
    candidates = (f"{animal} {n}" for n in range(100) for animal in ("heron", "otter"))
    label = next(text for text in candidates if world.shared(text, 0))  # deterministic
    build_in_process(world, KeywordPlan((label,), ALL_ENGINES), tmp_path / "ds", per_class=3)
    rows = [r for r in jsonl(tmp_path / "ds" / "manifest.jsonl") if r["query"] == label]
    kept = [r for r in rows if r["status"] == "kept"]
    duplicates = [r for r in rows if r["status"] == "duplicate"]
    assert len(kept) == 1 and duplicates
    assert {r["reason"] for r in duplicates} == {f"exact duplicate of {kept[0]['file_name']}"}
    assert {r["sha256"] for r in duplicates} == {kept[0]["sha256"]}
    assert kept[0]["source"] not in {r["source"] for r in duplicates}
    assert not any(r["cross_class"] for r in duplicates)
    assert len(class_files(tmp_path / "ds", label)) == 3


def test_not_enough_results_leaves_the_class_short(world: SearchWorld, tmp_path: Path) -> None:
    world.install(("openverse",), images_per_query=2, pages=1)
    result = pixcrawler(
        world, "build", "tabby cat", "red fox", "--per-class", "10", "--engines", "openverse",
        "--variations", "2", "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "ds"
    for label in ("tabby cat", "red fox"):
        assert len(class_files(out, label)) == len(kept_rows(out, label)) == 4
        # The summary says why the class is short, not just that it is.
        said = [line for line in result.stdout.splitlines() if line.startswith(f"{label}:")]
        assert len(said) == 1 and "4 of 10" in said[0] and "exhausted" in said[0]
    assert {r["status"] for r in jsonl(out / "manifest.jsonl")} == {"kept"}
    # Every image the world had was asked for, once: the sources really ran dry.
    assert all(world.server.count(path) == 1 for path in world.image_paths())
    assert len(world.image_paths()) == 8
    assert Counter(world.queries("openverse")) == Counter(
        v for label in ("tabby cat", "red fox") for v in variations(label, limit=2)
    )


# -- engines that fail ----------------------------------------------------------------------


def test_a_down_engine_is_dropped_with_a_logged_reason(world: SearchWorld, tmp_path: Path) -> None:
    world.install(ALL_ENGINES, images_per_query=2, pages=1)
    world.fail("bing", "down")
    labels = ["tabby cat", "red fox"]
    result = pixcrawler(
        world, "--log-format", "json", "build", *labels, "--per-class", "6",
        "--engines", "bing,openverse,wikimedia", "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "ds"
    for label in labels:
        assert len(class_files(out, label)) == len(kept_rows(out, label)) == 6
    # Two failing queries of three attempts each, per class; then bing is dropped.
    assert_bounded(world, "bing", labels)
    assert world.requests("bing") == len(labels) * MAX_ENGINE_FAILURES * MAX_ATTEMPTS
    records = [json.loads(x)["record"] for x in result.stderr.splitlines() if x.startswith("{")]
    dropped = [r["extra"] for r in records if r["message"] == "engine dropped for this class"]
    assert sorted(e["label"] for e in dropped) == sorted(labels)
    assert {(e["engine"], e["reason"]) for e in dropped} == {("bing", "http 503")}
    assert "Engines" in result.stdout


@pytest.mark.parametrize(
    ("engine", "mode", "errors"),
    [
        ("google", "timeout", {"timeout (ReadTimeout)"}),
        ("openverse", "malformed", {"malformed JSON (Unterminated string starting at)"}),
        ("bing", "malformed", {"parser found nothing"}),
        ("baidu", "empty", {"no results"}),
        ("bing", "broken_images", {None}),
    ],
)
def test_a_failing_engine_does_not_stop_the_build(
    world: SearchWorld, tmp_path: Path, engine: str, mode: str, errors: set[str | None]
) -> None:
    world.install(ALL_ENGINES, images_per_query=2, pages=1)
    world.fail(engine, mode)
    labels = ["tabby cat", "red fox"]
    fillers = tuple(e for e in ("wikimedia", "duckduckgo") if e != engine)
    out = tmp_path / "ds"
    build_in_process(world, KeywordPlan(tuple(labels), (engine, *fillers)), out, per_class=5)
    for label in labels:
        rows = kept_rows(out, label)
        assert len(class_files(out, label)) == len(rows) == 5
        assert engine not in {r["source"] for r in rows}
    assert {error for _, _, error in query_errors(out, engine)} == errors
    if mode == "broken_images":
        tried = [r for r in jsonl(out / "manifest.jsonl") if r["source"] == engine]
        outcomes = Counter((r["status"], r["reason"]) for r in tried)
        assert outcomes[("download_failed", "http 404")] >= 1
        assert set(outcomes) <= {("download_failed", "http 404"), QUOTA_FILTERED}
    else:
        assert_bounded(world, engine, labels)


def test_every_engine_down_builds_an_empty_dataset(world: SearchWorld, tmp_path: Path) -> None:
    world.install(ALL_ENGINES)
    for engine in ("openverse", "wikimedia"):
        world.fail(engine, "down")
    out = tmp_path / "ds"
    build_in_process(world, KeywordPlan(("tabby cat",), ("openverse", "wikimedia")), out, 5)
    assert not kept_rows(out) and classes(out) == []
    for engine in ("openverse", "wikimedia"):
        assert_bounded(world, engine, ["tabby cat"])


# -- licences -------------------------------------------------------------------------------


def test_license_filter_keeps_only_licensed_sources(world: SearchWorld, tmp_path: Path) -> None:
    world.install(ALL_ENGINES, images_per_query=4, pages=1)
    labels = ["tabby cat", "red fox"]
    result = pixcrawler(
        world, "build", *labels, "--per-class", "5", "--engines", ",".join(ALL_ENGINES),
        "--license", "cc0,by", "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "ds"
    wanted = wanted_families(("cc0", "by"))
    metadata = jsonl(out / "metadata.jsonl")
    assert len(metadata) == 10
    assert {m["source"] for m in metadata} <= {"openverse", "wikimedia"}
    assert all(license_family(m["license"]) in wanted for m in metadata)
    assert all(m["license_url"] or m["license"] == "Public domain" for m in metadata)
    for label in labels:
        assert len(class_files(out, label)) == 5
    for engine in TEXT_ONLY_ENGINES:
        assert world.requests(engine) == 0
        skipped = [line for line in result.stderr.splitlines() if f"engine={engine}" in line]
        assert skipped and all("engine skipped" in line for line in skipped)
    asked = {q["license"][0] for q in world.server.queries["/v1/images/"]}
    assert asked == {"by,cc0,pdm"}


def test_license_with_no_licence_aware_engine_is_one_error(
    world: SearchWorld, tmp_path: Path
) -> None:
    world.install(ALL_ENGINES)
    result = pixcrawler(
        world, "build", "tabby cat", "--engines", "bing,google", "--license", "cc0",
        "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert "--license" in one_line_error(result)


# -- what users type ------------------------------------------------------------------------


def test_blank_keywords_are_skipped_and_the_rest_built(world: SearchWorld, tmp_path: Path) -> None:
    world.install(("openverse",), images_per_query=2, pages=1)
    result = pixcrawler(
        world, "build", "", "tabby cat", " \t ", "--per-class", "2", "--engines", "openverse",
        "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "skipped keyword 1: empty keyword" in result.stderr
    assert "skipped keyword 3: empty keyword" in result.stderr
    assert classes(tmp_path / "ds") == ["tabby cat"]
    assert len(class_files(tmp_path / "ds", "tabby cat")) == 2


def test_only_blank_keywords_is_one_error(world: SearchWorld, tmp_path: Path) -> None:
    result = pixcrawler(world, "build", "", "   ", "--out", "ds", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: no usable keyword"]
    assert not (tmp_path / "ds").exists()


def test_hostile_and_unicode_keywords_stay_inside_the_dataset(
    world: SearchWorld, tmp_path: Path
) -> None:
    world.install(("openverse",), images_per_query=2, pages=1)
    labels = ["../../etc", "cats/dogs", "🐱", "قطة سوداء", "חתול"]
    work = tmp_path / "work"
    work.mkdir()
    result = pixcrawler(
        world, "build", *labels, "--per-class", "2", "--engines", "openverse",
        "--out", "ds", "-q", cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = work / "ds"
    assert sorted(classes(out)) == sorted(labels)
    assert [p.name for p in work.iterdir()] == ["ds"]
    assert not (tmp_path / "etc").exists()
    folders = sorted(p.name for p in (out / "images").iterdir())
    assert folders == sorted(slugify(label) for label in labels)
    assert all(name not in {".", ".."} and "/" not in name for name in folders)
    for label in labels:
        assert len(class_files(out, label)) == 2
        assert {r["label"] for r in kept_rows(out, label)} == {label}
    everything = [p.resolve() for p in out.rglob("*")]
    assert all(p.is_relative_to(out.resolve()) for p in everything)


def test_500_keywords_one_image_each(world: SearchWorld, tmp_path: Path) -> None:
    world.install(("openverse",), images_per_query=1, pages=1)
    labels = [f"species {n:03d}" for n in range(500)]
    result = pixcrawler(
        world, "build", *labels, "--per-class", "1", "--engines", "openverse",
        "--out", "ds", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "ds"
    assert len(classes(out)) == 500
    assert Counter(r["label"] for r in kept_rows(out)) == dict.fromkeys(labels, 1)
    assert len(list((out / "images").glob("*/*.jpg"))) == 500
    assert world.image_requests() == world.requests("openverse") == 500  # one of each a class


def test_discovery_stops_once_it_has_enough_candidates(world: SearchWorld, tmp_path: Path) -> None:
    world.install(("openverse",), images_per_query=4, pages=1)
    out = tmp_path / "ds"
    build_in_process(world, KeywordPlan(("tabby cat",), ("openverse",)), out, per_class=2)
    assert len(class_files(out, "tabby cat")) == 2
    # The first query found 4 candidates for 2 places: no second query, nothing turned away.
    assert world.queries("openverse") == ["tabby cat"]
    assert QUOTA_FILTERED not in {(r["status"], r["reason"]) for r in jsonl(out / "manifest.jsonl")}


# -- resume -----------------------------------------------------------------------------------


def test_rerun_fetches_nothing_and_a_higher_quota_adds_more(
    world: SearchWorld, tmp_path: Path
) -> None:
    world.install(("openverse", "bing"), images_per_query=2, pages=1)
    labels = ["tabby cat", "red fox"]
    command = ["build", *labels, "--engines", "openverse,bing", "--out", "ds", "-q"]
    assert pixcrawler(world, *command, "--per-class", "3", cwd=tmp_path).returncode == 0
    out = tmp_path / "ds"
    first = {label: class_files(out, label) for label in labels}
    kept_paths = {urlsplit(r["url"]).path for r in kept_rows(out)}
    assert all(len(files) == 3 for files in first.values())
    counts = {path: world.server.count(path) for path in kept_paths}
    searches = {engine: world.requests(engine) for engine in ("openverse", "bing")}
    images = world.image_requests()

    again = pixcrawler(world, *command, "--per-class", "3", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert world.image_requests() == images
    assert {engine: world.requests(engine) for engine in searches} == searches
    assert {label: class_files(out, label) for label in labels} == first

    more = pixcrawler(world, *command, "--per-class", "5", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    for label in labels:
        files = class_files(out, label)
        assert len(files) == len(kept_rows(out, label)) == 5
        assert set(first[label]) <= set(files)
    assert {path: world.server.count(path) for path in kept_paths} == counts


# -- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--engines", "bing,altavista", "unknown engine altavista; known: openverse"),
        ("--engines", " , ", "no engine given"),
        ("--license", "cc0,gpl", "unknown licence gpl; use cc0"),
    ],
)
def test_bad_engine_or_licence_is_one_clear_line(
    world: SearchWorld, tmp_path: Path, option: str, value: str, message: str
) -> None:
    result = pixcrawler(world, "build", "tabby cat", option, value, "--out", "ds", cwd=tmp_path)
    assert message in one_line_error(result)
    assert not (tmp_path / "ds").exists()
