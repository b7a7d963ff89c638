"""Tests for summarize(): funnels, reasons, licences and picks computed from the exported files."""

import json
from pathlib import Path

import pytest
from report_dataset import BY_SA_URL, BY_URL, RTL_LABEL, SCRIPT_LABEL, DatasetBuilder

from pixcrawler.utility.report import FunnelCounts, Reason, ReportError, summarize
from pixcrawler.utility.report._tallies import FirstByName


def test_funnel_per_class_follows_the_builder_semantics(dataset: Path) -> None:
    data = summarize(dataset)
    funnels = {c.label: c.funnel for c in data.classes}
    assert funnels == {
        "cat": FunnelCounts(6, 5, 4, 3, 3),
        "dog": FunnelCounts(4, 3, 3, 2, 2),
        SCRIPT_LABEL: FunnelCounts(2, 1, 1, 1, 1),
        RTL_LABEL: FunnelCounts(2, 2, 2, 2, 2),
        "empty": FunnelCounts(2, 0, 0, 0, 0),
    }
    assert data.totals == FunnelCounts(16, 11, 10, 8, 8)
    assert data.name == "pets"


def test_classes_follow_classes_json_then_unkept_classes(dataset: Path) -> None:
    data = summarize(dataset)
    assert [c.label for c in data.classes] == ["cat", "dog", SCRIPT_LABEL, RTL_LABEL, "empty"]
    assert [c.index for c in data.classes] == [0, 1, 2, 3, None]
    assert [c.folder for c in data.classes] == ["cat", "dog", "script-alert-1-script", "قطة", None]


def test_classes_json_is_optional(dataset: Path) -> None:
    (dataset / "labels" / "classes.json").unlink()
    data = summarize(dataset)
    assert [c.label for c in data.classes][:2] == ["cat", "dog"]
    assert data.classes[-1].label == "empty"


def test_funnel_per_source(dataset: Path) -> None:
    sources = {s.source: s.funnel for s in summarize(dataset).sources}
    assert sources == {
        "bing": FunnelCounts(5, 4, 3, 2, 2),
        "openverse": FunnelCounts(5, 4, 4, 3, 3),
        "url_list": FunnelCounts(6, 3, 3, 3, 3),
    }


def test_reasons_group_duplicates_by_kind_and_cross_class(dataset: Path) -> None:
    reasons = summarize(dataset).reasons
    assert reasons[0] == Reason("download_failed", "http 404", 3)
    assert set(reasons[1:]) == {
        Reason("download_failed", "timeout (ReadTimeout)", 1),
        Reason("invalid", "too small 48x48", 1),
        Reason("duplicate", "exact duplicate", 1),
        Reason("duplicate", "near duplicate (cross-class)", 1),
        Reason("filtered", "x-robots-tag noai", 1),
    }


def test_licences_and_attribution(dataset: Path) -> None:
    data = summarize(dataset)
    assert [(lc.licence, lc.count, lc.url) for lc in data.licences] == [
        ("unknown", 3, None),
        ("by", 2, BY_URL),
        ("cc0", 2, None),
        ("by-sa", 1, BY_SA_URL),
    ]
    assert data.single_licence is None
    assert data.attribution_total == 3
    assert {(a.label, a.credit) for a in data.attributions} == {
        ("cat", "Jane"),
        ("dog", "Ann <ann>"),
        ("dog", None),
    }


def test_cross_class_rows(dataset: Path) -> None:
    (row,) = summarize(dataset).cross_class
    assert (row.url, row.label) == ("https://img.example/leak.jpg", "dog")
    assert row.duplicate_of is not None
    assert row.duplicate_of.startswith("images/cat/")


def test_resolution_buckets_count_the_shorter_side(dataset: Path) -> None:
    buckets = dict(summarize(dataset).resolution)
    assert buckets["<128"] == 8  # every fixture image is 90 px high
    assert sum(buckets.values()) == 8


def test_samples_are_the_first_by_file_name_and_capped(builder: DatasetBuilder) -> None:
    names = [builder.keep("cat", "cat", "bing") for _ in range(7)]
    data = summarize(builder.write(), samples_per_class=3)
    assert [s.file_name for s in data.samples["cat"]] == sorted(names)[:3]


def test_empty_dataset(builder: DatasetBuilder) -> None:
    builder.reject("cat", "download_failed", "http 404", "bing")
    data = summarize(builder.write())
    assert data.totals == FunnelCounts(1, 0, 0, 0, 0)
    assert data.licences == ()
    assert data.samples == {}
    assert [c.label for c in data.classes] == ["cat"]


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"manifest\.jsonl is missing"):
        summarize(tmp_path)


def test_report_error_is_a_value_error() -> None:
    assert issubclass(ReportError, ValueError)


def test_malformed_line_names_file_and_line(dataset: Path) -> None:
    with (dataset / "metadata.jsonl").open("a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    with pytest.raises(ReportError, match=r"metadata\.jsonl:9: not valid JSON"):
        summarize(dataset)


def test_a_line_that_is_not_an_object_is_rejected(dataset: Path) -> None:
    (dataset / "manifest.jsonl").write_text(json.dumps([1, 2]) + "\n", encoding="utf-8")
    with pytest.raises(ReportError, match="expected a JSON object"):
        summarize(dataset)


def test_first_by_name_keeps_the_smallest_keys_in_bounded_memory() -> None:
    picks: FirstByName[int] = FirstByName(5)
    keys = [f"{(n * 7919) % 1000:04d}" for n in range(1000)]
    for n, key in enumerate(keys):
        picks.add(key, n)
    assert [keys[n] for n in picks.result()] == sorted(keys)[:5]
    assert not picks.wants("9999")
