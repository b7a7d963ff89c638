"""End-to-end builds through the library: every failure mode explained, resume, quotas."""

import asyncio
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.config import Settings
from pixcrawler.records import Candidate
from support.server import FixtureServer

# What each failure-mode URL must end as: (status, reason).
EXPECTED = {
    "ok_1": ("kept", "kept"),
    "ok_2": ("kept", "kept"),
    "ok_png": ("kept", "kept"),
    "not_found": ("download_failed", "http 404"),
    "bad_request": ("download_failed", "http 400"),
    "unauthorized": ("download_failed", "http 401"),
    "forbidden": ("download_failed", "http 403"),
    "server_error_500": ("download_failed", "http 500"),
    "always_503": ("download_failed", "http 503"),
    "always_504": ("download_failed", "http 504"),
    "always_429": ("download_failed", "http 429"),
    "flaky_503": ("kept", "kept"),
    "rate_limited_then_ok": ("kept", "kept"),
    "slow": ("download_failed", "timeout (ReadTimeout)"),
    "truncated": ("invalid", "truncated or corrupt image"),
    "html_as_jpeg": ("invalid", "not an image (content-type image/jpeg)"),
    "redirect_chain": ("kept", "kept"),
    "redirect_loop": ("download_failed", "redirect loop"),
    "oversized_declared": ("filtered", "too large (declared 104857600 B)"),
    "oversized_streamed": ("filtered", "too large (over 2000000 B)"),
    "noai": ("filtered", "x-robots-tag noai"),
    "noimageai": ("filtered", "x-robots-tag noimageai"),
    "tiny": ("invalid", "too small 32x32"),
    "animated_gif": ("kept", "kept"),
    "text_plain": ("kept", "kept"),
    "no_content_type": ("kept", "kept"),
}


def _settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"read_timeout": 0.5, "max_bytes": 2_000_000, "min_file_bytes": 100}
    return Settings(**{**base, **overrides})


def build(candidates: Iterable[Candidate], out: Path, **options: Any) -> None:
    opts = BuildOptions(validation_workers=options.pop("validation_workers", 0), **options)
    writer = asyncio.run(build_dataset(candidates, out, _settings(), opts))
    writer.close()


def manifest(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("processes", [1, 2])
def test_every_failure_mode_is_explained(
    server: FixtureServer, failure_modes: dict[str, str], tmp_path: Path, processes: int
) -> None:
    names = [*EXPECTED, "exact_dup", "near_dup"]
    candidates = [Candidate(failure_modes[n], "things") for n in names]
    # Duplicates come in a second run: within one run, which copy wins is a race.
    sharded = {"processes": processes, "warm_start": False}  # every URL through the processes
    build(candidates[:-2], tmp_path / "ds", validation_workers=2, **sharded)
    build(candidates, tmp_path / "ds", validation_workers=2, **sharded)
    rows = {row["url"]: row for row in manifest(tmp_path / "ds")}
    assert len(rows) == len(names)
    for name, (status, reason) in EXPECTED.items():
        row = rows[failure_modes[name]]
        assert (row["status"], row["reason"]) == (status, reason), name
    for name in ("exact_dup", "near_dup"):
        assert rows[failure_modes[name]]["status"] == "duplicate"
    assert rows[failure_modes["exact_dup"]]["reason"].startswith("exact duplicate of images/")
    assert rows[failure_modes["near_dup"]]["reason"].startswith("near duplicate of images/")
    assert rows[failure_modes["flaky_503"]]["attempts"] == 3
    assert rows[failure_modes["not_found"]]["attempts"] == 1
    assert server.count(failure_modes["always_503"]) == 6  # 3 per run: transient is retryable
    assert server.count(failure_modes["not_found"]) == 1  # permanent: never asked again
    assert [r["url"] for r in manifest(tmp_path / "ds")] == [failure_modes[n] for n in names]


def test_layout_metadata_and_labels(failure_modes: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build(
        [Candidate(failure_modes["ok_1"], "Golden Retriever"),
         Candidate(failure_modes["ok_2"], "../../escape"),
         Candidate(failure_modes["animated_gif"], "Golden Retriever")],
        out,
    )  # fmt: skip
    files = sorted(p.relative_to(out).as_posix() for p in (out / "images").rglob("*.*"))
    assert len(files) == 3
    assert all(f.startswith(("images/golden-retriever/", "images/escape/")) for f in files)
    assert not (tmp_path / "escape").exists()
    assert any(f.endswith(".png") for f in files)  # the GIF is stored as its first frame
    metadata = [json.loads(x) for x in (out / "metadata.jsonl").read_text().splitlines()]
    assert {m["file_name"] for m in metadata} == set(files)
    first = metadata[0]
    assert {"label", "source_url", "sha256", "phash", "width", "height", "format"} <= set(first)
    classes = json.loads((out / "labels" / "classes.json").read_text())
    assert classes == ["../../escape", "Golden Retriever"]  # names as given, slug order
    for fmt in ("json", "csv", "yaml", "txt"):
        assert (out / "labels" / f"labels.{fmt}").is_file()
        assert (out / "labels" / f"classes.{fmt}").is_file()


def test_cross_class_duplicates_are_leakage(failure_modes: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build([Candidate(failure_modes["ok_1"], "cat")], out)
    build([Candidate(failure_modes["exact_dup"], "dog")], out)
    (row,) = [r for r in manifest(out) if r["label"] == "dog"]
    assert row["status"] == "duplicate"
    assert row["cross_class"] is True
    assert row["duplicate_of"].startswith("images/cat/")


def test_rerun_resumes_without_refetching(
    server: FixtureServer, failure_modes: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    names = ["ok_1", "ok_2", "not_found", "always_503", "truncated"]
    candidates = [Candidate(failure_modes[n], "x") for n in names]
    build(candidates, out)
    first = manifest(out)
    server.reset()
    build(candidates, out)
    for name in ("ok_1", "ok_2", "not_found", "truncated"):
        assert server.count(failure_modes[name]) == 0, name
    assert server.count(failure_modes["always_503"]) == 3  # transient: tried again
    assert manifest(out) == first
    assert len(list((out / "images").rglob("*.jpg"))) == 2


def test_per_class_limit_stops_downloads(server: FixtureServer, tmp_path: Path) -> None:
    urls = server.add_bulk("quota", 30)
    out = tmp_path / "ds"
    build([Candidate(u, "a") for u in urls[:15]] + [Candidate(u, "b") for u in urls[15:]], out,
          per_class=4)  # fmt: skip
    kept = [r for r in manifest(out) if r["status"] == "kept"]
    assert sorted(r["label"] for r in kept) == ["a"] * 4 + ["b"] * 4
    assert sum(server.counts.values()) <= 30
    filtered = [r for r in manifest(out) if r["status"] == "filtered"]
    assert all(r["reason"] == "per-class limit reached" for r in filtered)
    # A bigger quota on rerun picks up where the smaller one stopped.
    build([Candidate(u, "a") for u in urls[:15]], out, per_class=6)
    kept = [r for r in manifest(out) if r["status"] == "kept" and r["label"] == "a"]
    assert len(kept) == 6


def test_interrupted_build_leaves_consistent_dataset(server: FixtureServer, tmp_path: Path) -> None:
    urls = server.add_bulk("interrupt", 40)
    out = tmp_path / "ds"

    def candidates() -> Iterator[Candidate]:
        for i, url in enumerate(urls):
            if i == 20:
                raise KeyboardInterrupt
            yield Candidate(url, "x")

    with pytest.raises(KeyboardInterrupt):
        build(candidates(), out)
    rows = manifest(out)
    kept = {r["file_name"] for r in rows if r["status"] == "kept"}
    on_disk = {p.relative_to(out).as_posix() for p in (out / "images").rglob("*.jpg")}
    assert kept == on_disk
    assert not list(out.rglob("*.part"))
    build([Candidate(u, "x") for u in urls], out)
    assert len([r for r in manifest(out) if r["status"] == "kept"]) == 40


def test_state_is_sqlite_with_dedup_index(failure_modes: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build([Candidate(failure_modes["ok_1"], "x")], out)
    with sqlite3.connect(out / ".pixcrawler" / "state.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM dedup_index").fetchone() == (1,)


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    from pixcrawler.builder._generator import DatasetError

    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(DatasetError, match="not a directory"):
        build([], target)


def test_validation_level_changes_what_is_kept(server: FixtureServer, tmp_path: Path) -> None:
    import io

    from PIL import Image, ImageFilter

    from pixcrawler.validator.levels import ValidationLevel
    from support.images import render

    buffer = io.BytesIO()
    render(4242, (256, 256)).filter(ImageFilter.GaussianBlur(6)).save(buffer, "JPEG", quality=95)
    url = server.add("/blurry.jpg", buffer.getvalue())
    fast, medium = tmp_path / "fast", tmp_path / "medium"
    build([Candidate(url, "x")], fast, validation_level=ValidationLevel.FAST)
    build([Candidate(url, "x")], medium, validation_level=ValidationLevel.MEDIUM)
    assert manifest(fast)[0]["status"] == "kept"
    (row,) = manifest(medium)
    assert row["status"] == "invalid"
    assert row["reason"].startswith("blurry (sharpness")
    assert Image.open(io.BytesIO(buffer.getvalue())).size == (256, 256)


def test_medium_level_records_quality_scores(failure_modes: dict[str, str], tmp_path: Path) -> None:
    from pixcrawler.validator.levels import ValidationLevel

    out = tmp_path / "ds"
    build([Candidate(failure_modes["ok_1"], "x")], out, validation_level=ValidationLevel.MEDIUM)
    (row,) = manifest(out)
    assert row["status"] == "kept"
    assert {"sharpness", "brightness", "entropy"} <= set(row["quality"])


def test_build_writes_report_and_dataset_card(
    failure_modes: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    build(
        [Candidate(failure_modes["ok_1"], "cat"), Candidate(failure_modes["not_found"], "cat")], out
    )
    html = (out / "report.html").read_text()
    assert "data:image/" in html
    assert "http 404" in html
    assert (out / "README.md").read_text().startswith("---")
