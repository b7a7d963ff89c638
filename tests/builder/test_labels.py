"""Tests for the label and class-list exporters: layouts, round trips and atomic writing."""

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from pixcrawler.builder.dataset._labels import (
    LABEL_FIELDS,
    LABEL_FORMATS,
    LabelRow,
    write_label_files,
)

CLASSES = ["cat", '猫, "quoted"', "🐈 кошка", "قطة", "null", "yes", "1e3", "  spaced  ", "a\tb\nc"]


def make_rows(classes: list[str]) -> list[LabelRow]:
    return [
        LabelRow(
            file_name=f"images/class-{index}/{index:064x}.jpg",
            label=name,
            class_index=index,
            width=640 + index,
            height=480,
            sha256=f"{index:064x}",
            source_url=f'https://example.com/{index}.jpg?q=a,b&t="x"',
        )
        for index, name in enumerate(classes)
    ]


@pytest.fixture
def rows() -> list[LabelRow]:
    return make_rows(CLASSES)


def as_dicts(rows: list[LabelRow]) -> list[dict[str, object]]:
    return [{name: getattr(row, name) for name in LABEL_FIELDS} for row in rows]


def test_writes_every_format_and_returns_the_paths(tmp_path: Path, rows: list[LabelRow]) -> None:
    written = write_label_files(tmp_path / "labels", rows, CLASSES, LABEL_FORMATS)
    expected = [
        tmp_path / "labels" / f"{k}.{f}" for f in LABEL_FORMATS for k in ("labels", "classes")
    ]
    assert written == expected
    assert all(path.is_file() for path in written)
    assert sorted(p.name for p in (tmp_path / "labels").iterdir()) == sorted(
        p.name for p in written
    )


def test_json_round_trip(tmp_path: Path, rows: list[LabelRow]) -> None:
    write_label_files(tmp_path, iter(rows), CLASSES, ["json"])
    assert json.loads((tmp_path / "labels.json").read_text("utf-8")) == as_dicts(rows)
    assert json.loads((tmp_path / "classes.json").read_text("utf-8")) == CLASSES


def test_csv_round_trip(tmp_path: Path, rows: list[LabelRow]) -> None:
    write_label_files(tmp_path, rows, CLASSES, ["csv"])
    with (tmp_path / "labels.csv").open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert read == [{k: str(v) for k, v in row.items()} for row in as_dicts(rows)]
    with (tmp_path / "classes.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [["index", "name"]] + [
            [str(i), name] for i, name in enumerate(CLASSES)
        ]


def test_yaml_round_trip(tmp_path: Path) -> None:
    classes = [*CLASSES, "a long label " * 20, "'; DROP TABLE --", "- [x]: {y}"]
    rows = make_rows(classes)
    write_label_files(tmp_path, rows, classes, ["yaml"])
    assert yaml.safe_load((tmp_path / "labels.yaml").read_text("utf-8")) == as_dicts(rows)
    assert yaml.safe_load((tmp_path / "classes.yaml").read_text("utf-8")) == classes


def test_yaml_of_several_batches_is_one_list(tmp_path: Path) -> None:
    classes = [f"class {i}" for i in range(2500)]  # more rows than one yaml.dump batch
    rows = make_rows(classes)
    write_label_files(tmp_path, iter(rows), classes, ["yaml"])
    assert yaml.safe_load((tmp_path / "labels.yaml").read_text("utf-8")) == as_dicts(rows)


def test_txt_layout_replaces_tabs_and_line_breaks_with_spaces(
    tmp_path: Path, rows: list[LabelRow]
) -> None:
    write_label_files(tmp_path, rows, CLASSES, ["txt"])
    lines = (tmp_path / "labels.txt").read_text("utf-8").splitlines()
    parsed = [line.split("\t") for line in lines]
    assert [(f, int(i), label) for f, i, label in parsed] == [
        (row.file_name, row.class_index, row.label.replace("\t", " ").replace("\n", " "))
        for row in rows
    ]
    names = (tmp_path / "classes.txt").read_text("utf-8").splitlines()
    assert names == [*CLASSES[:-1], "a b c"]


@pytest.mark.parametrize("fmt", LABEL_FORMATS)
def test_no_rows_still_writes_valid_empty_files(tmp_path: Path, fmt: str) -> None:
    write_label_files(tmp_path, [], [], [fmt])
    text = (tmp_path / f"labels.{fmt}").read_text("utf-8")
    loaders: dict[str, Callable[[str], object]] = {
        "json": json.loads,
        "yaml": yaml.safe_load,
        "csv": lambda t: t.splitlines(),
        "txt": lambda t: t.splitlines(),
    }
    assert loaders[fmt](text) == ([",".join(LABEL_FIELDS)] if fmt == "csv" else [])


def test_rows_are_consumed_once_for_all_formats(tmp_path: Path, rows: list[LabelRow]) -> None:
    pulled: list[int] = []

    def generate() -> Iterator[LabelRow]:
        for row in rows:
            pulled.append(row.class_index)
            yield row

    write_label_files(tmp_path, generate(), CLASSES, LABEL_FORMATS)
    assert pulled == list(range(len(rows)))
    assert len(json.loads((tmp_path / "labels.json").read_text("utf-8"))) == len(rows)


def test_unknown_format_lists_the_allowed_ones_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"unknown label format\(s\) \['xml'\]; allowed: json, csv"
    ):
        write_label_files(tmp_path / "labels", [], [], ["json", "xml"])
    assert not (tmp_path / "labels").exists()


def test_formats_are_case_insensitive_and_deduplicated(tmp_path: Path) -> None:
    written = write_label_files(tmp_path, [], [], ["JSON", "json", "Txt"])
    assert [p.name for p in written] == ["labels.json", "classes.json", "labels.txt", "classes.txt"]


def test_repeated_class_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"repeated: \['cat'\]"):
        write_label_files(tmp_path, [], ["cat", "dog", "cat"], ["json"])


@pytest.mark.parametrize(("index", "label"), [(5, "cat"), (-1, "cat"), (1, "cat")])
def test_a_row_disagreeing_with_classes_is_refused(tmp_path: Path, index: int, label: str) -> None:
    row = LabelRow("images/cat/a.jpg", label, index, 1, 1, "0" * 64, "https://e/a.jpg")
    with pytest.raises(ValueError, match="does not name label 'cat'"):
        write_label_files(tmp_path, [row], ["cat", "dog"], ["json"])


def test_failure_mid_stream_keeps_old_files_and_leaves_no_temporaries(
    tmp_path: Path, rows: list[LabelRow]
) -> None:
    write_label_files(tmp_path, rows[:1], CLASSES[:1], LABEL_FORMATS)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken() -> Iterator[LabelRow]:
        yield from rows
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_label_files(tmp_path, broken(), CLASSES, LABEL_FORMATS)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_rewriting_replaces_files_in_place(tmp_path: Path, rows: list[LabelRow]) -> None:
    write_label_files(tmp_path, rows, CLASSES, ["json"])
    write_label_files(tmp_path, rows[:2], CLASSES, ["json"])
    assert len(json.loads((tmp_path / "labels.json").read_text("utf-8"))) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classes.json", "labels.json"]
