"""Tests for URL-list ingestion: formats, columns, labels, encodings, errors and streaming."""

import csv
import gzip
import itertools
import json
import os
import threading
import types
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pixcrawler.builder.discovery._url_lists import SourceError, count_candidates, read_url_list
from pixcrawler.records import Candidate

URLS = ["https://example.com/a.jpg", "http://example.com/b.png", "https://example.com/c.webp"]


def urls_of(path: Path, **kwargs: str) -> list[str]:
    return [candidate.url for candidate in read_url_list(path, **kwargs)]


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` in the format named by the suffix of ``path`` (csv, tsv, jsonl, parquet)."""
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            sep = "\t" if path.suffix == ".tsv" else ","
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=sep)
            writer.writeheader()
            writer.writerows(rows)
    return path


TABLE_SUFFIXES = [".csv", ".tsv", ".jsonl", ".parquet"]


# --- plain text -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".lst", ".urls", ".TXT"])
def test_txt_yields_one_candidate_per_line_labelled_by_stem(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cats{suffix}"
    path.write_text("\n".join(URLS) + "\n", encoding="utf-8")
    candidates = list(read_url_list(path))
    assert candidates == [Candidate(url=url, label="cats", source="url_list") for url in URLS]


def test_txt_skips_blank_and_comment_lines_and_strips_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "dogs.txt"
    path.write_text(f"# header\n\n  {URLS[0]}  \n   \n\t# indented comment\n{URLS[1]}\n")
    assert urls_of(path) == URLS[:2]


def test_txt_label_argument_overrides_stem(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text(URLS[0])
    assert [c.label for c in read_url_list(path, label="Maine Coon")] == ["Maine Coon"]


def test_txt_bad_lines_cost_their_own_row_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text(
        f"not a url\nftp://x/y.jpg\n{URLS[0]}  # the tabby\nhttps://e.com/a\tb.jpg\n"
        f"{URLS[1]}#frag\n"
    )
    assert [(c.url, c.problem) for c in read_url_list(path)] == [
        ("not a url", "bad row at line 1: not an http(s) URL"),
        ("ftp://x/y.jpg", "bad row at line 2: not an http(s) URL"),
        (URLS[0], None),  # a trailing comment is not part of the URL
        ("https://e.com/a\tb.jpg", "bad row at line 4: whitespace inside the URL"),
        (f"{URLS[1]}#frag", None),  # a fragment is
    ]


def test_bom_and_crlf_are_handled(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_bytes(("\ufeff" + "\r\n".join(URLS) + "\r\n").encode("utf-8"))
    csv_file = tmp_path / "b.csv"
    csv_file.write_bytes(f"\ufeffurl,label\r\n{URLS[0]},cat\r\n{URLS[1]},dog\r\n".encode())
    assert urls_of(txt) == URLS
    assert [(c.url, c.label) for c in read_url_list(csv_file)] == [
        (URLS[0], "cat"),
        (URLS[1], "dog"),
    ]


def test_old_mac_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("\r".join(URLS).encode())
    assert urls_of(path) == URLS


# --- tables: csv, tsv, jsonl, parquet ---------------------------------------------------------


@pytest.mark.parametrize("suffix", TABLE_SUFFIXES)
def test_tables_read_url_label_and_optional_columns(tmp_path: Path, suffix: str) -> None:
    row = {
        "url": URLS[0], "label": "tabby", "license": "CC-BY-4.0", "license_url": "https://l",
        "attribution": "Ann", "page_url": "https://p", "title": "A cat, \"quoted\"", "other": "x",
    }  # fmt: skip
    path = write_rows(tmp_path / f"list{suffix}", [row])
    (candidate,) = read_url_list(path)
    assert candidate == Candidate(
        url=URLS[0], label="tabby", source="url_list", page_url="https://p", title=row["title"],
        license="CC-BY-4.0", license_url="https://l", attribution="Ann",
    )  # fmt: skip


@pytest.mark.parametrize("suffix", TABLE_SUFFIXES)
def test_tables_fall_back_to_label_argument_then_stem(tmp_path: Path, suffix: str) -> None:
    with_label = write_rows(tmp_path / f"birds{suffix}", [{"url": URLS[0], "label": ""}])
    without = write_rows(tmp_path / f"fish{suffix}", [{"url": URLS[1]}])
    assert [c.label for c in read_url_list(with_label)] == ["birds"]
    assert [c.label for c in read_url_list(with_label, label="owl")] == ["owl"]
    assert [c.label for c in read_url_list(without)] == ["fish"]
    assert next(read_url_list(without)).license is None


@pytest.mark.parametrize("suffix", TABLE_SUFFIXES)
def test_tables_honour_column_overrides(tmp_path: Path, suffix: str) -> None:
    path = write_rows(tmp_path / f"x{suffix}", [{"image": URLS[0], "class": "cat", "url": "no"}])
    (candidate,) = read_url_list(path, url_column="image", label_column="class")
    assert (candidate.url, candidate.label) == (URLS[0], "cat")


@pytest.mark.parametrize("suffix", TABLE_SUFFIXES)
def test_column_names_match_ignoring_case_and_spaces(tmp_path: Path, suffix: str) -> None:
    path = write_rows(tmp_path / f"x{suffix}", [{" URL ": URLS[0], "Label": "cat"}])
    assert [(c.url, c.label) for c in read_url_list(path)] == [(URLS[0], "cat")]


@pytest.mark.parametrize("suffix", TABLE_SUFFIXES)
def test_missing_url_column_names_the_columns_found(tmp_path: Path, suffix: str) -> None:
    path = write_rows(tmp_path / f"x{suffix}", [{"link": URLS[0], "label": "cat"}])
    with pytest.raises(SourceError, match=r"no 'url' column \(columns found: 'link', 'label'\)"):
        list(read_url_list(path))


@pytest.mark.parametrize("suffix", TABLE_SUFFIXES)
def test_empty_url_cell_becomes_a_placeholder_row(tmp_path: Path, suffix: str) -> None:
    rows = [{"url": URLS[0], "label": "a"}, {"url": "  ", "label": "b"}]
    path = write_rows(tmp_path / f"x{suffix}", rows)
    where = "row 2" if suffix == ".parquet" else "line 3" if suffix != ".jsonl" else "line 2"
    assert [(c.url, c.label, c.problem) for c in read_url_list(path)] == [
        (URLS[0], "a", None),
        (f"<x{suffix} {where}>", "b", f"bad row at {where}: no url"),
    ]


def test_csv_quoted_fields_with_commas_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f'url,label,title\n{URLS[0]},"cat, tabby","two\nlines"\n{URLS[1]},dog,\n')
    candidates = list(read_url_list(path))
    assert [(c.label, c.title) for c in candidates] == [("cat, tabby", "two\nlines"), ("dog", None)]


def test_jsonl_invalid_lines_cost_their_own_row(tmp_path: Path) -> None:
    path = tmp_path / "pets.ndjson"
    path.write_text(
        f'{{"url": "{URLS[0]}"}}\n\n{{not json\n[1, 2]\n{{"url": null}}\n{{"url": 7}}\n'
    )
    assert [(c.url, c.problem) for c in read_url_list(path)] == [
        (URLS[0], None),
        ("<pets.ndjson line 3>", "bad row at line 3: invalid JSON"),
        ("<pets.ndjson line 4>", "bad row at line 4: not a JSON object"),
        ("<pets.ndjson line 5>", "bad row at line 5: no url"),
        ("7", "bad row at line 6: not an http(s) URL"),
    ]
    assert {c.label for c in read_url_list(path)} == {"pets"}


def test_jsonl_non_string_label_is_stringified(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"url": URLS[0], "label": 3}) + "\n")
    assert next(read_url_list(path)).label == "3"


def test_parquet_reads_only_needed_columns_in_batches(tmp_path: Path) -> None:
    rows = [
        {"url": f"https://e/{i}.jpg", "label": f"c{i % 3}", "blob": "x" * 10} for i in range(10_000)
    ]
    path = write_rows(tmp_path / "big.parquet", rows)
    candidates = list(read_url_list(path))
    assert len(candidates) == 10_000
    assert candidates[-1] == Candidate(url="https://e/9999.jpg", label="c0")


def test_parquet_non_string_and_null_cells(tmp_path: Path) -> None:
    table = pa.table({"url": [URLS[0], None], "label": pa.array([1, None], pa.int64())})
    pq.write_table(table, tmp_path / "n.parquet")
    assert [(c.url, c.label) for c in read_url_list(tmp_path / "n.parquet")] == [
        (URLS[0], "1"),
        ("<n.parquet row 2>", "n"),
    ]


# --- gzip and explicit formats ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".jsonl"])
def test_gzip_inputs_use_the_inner_suffix_and_stem(tmp_path: Path, suffix: str) -> None:
    plain = tmp_path / f"plain{suffix}"
    if suffix == ".txt":
        plain.write_text("\r\n".join(URLS))
    else:
        write_rows(plain, [{"url": url} for url in URLS])
    packed = tmp_path / f"owls{suffix}.gz"
    packed.write_bytes(gzip.compress(b"\xef\xbb\xbf" + plain.read_bytes()))
    assert [(c.url, c.label) for c in read_url_list(packed)] == [(url, "owls") for url in URLS]
    assert count_candidates(packed) == 3


def test_fmt_overrides_the_suffix(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "export.data", [{"url": URLS[0]}])
    path.rename(tmp_path / "export.dat")
    assert urls_of(tmp_path / "export.dat", fmt="csv") == [URLS[0]]
    assert urls_of(tmp_path / "export.dat", fmt=".CSV") == [URLS[0]]


def test_tsv_and_csv_differ_only_by_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text(f"url\tlabel\n{URLS[0]}\tcat, tabby\n")
    assert [(c.url, c.label) for c in read_url_list(path)] == [(URLS[0], "cat, tabby")]


# --- file-level errors ------------------------------------------------------------------------


def test_unknown_suffix_is_refused_at_call_time(tmp_path: Path) -> None:
    path = tmp_path / "urls.xlsx"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match=r"unknown URL-list format '\.xlsx'.*\.txt"):
        read_url_list(path)
    with pytest.raises(SourceError, match="no suffix"):
        read_url_list(tmp_path / "urls")
    with pytest.raises(SourceError, match=r"unknown URL-list format '\.json'"):
        read_url_list(path, fmt="json")


def test_missing_file_and_directory_are_refused_at_call_time(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_url_list(tmp_path / "missing.txt")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(SourceError, match="is a directory"):
        read_url_list(tmp_path / "dir.csv")
    with pytest.raises(SourceError, match="no such file"):
        count_candidates(tmp_path / "missing.txt")


def test_gzipped_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet.gz"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="parquet compresses internally"):
        read_url_list(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.txt.gz", b"\x1f\x8bnot really gzip", "read failed"),
        ("truncated.txt.gz", gzip.compress(b"https://e/a.jpg\n" * 500)[:60], "read failed"),
        ("fake.parquet", b"PAR1 this is not parquet", "not a readable parquet file"),
        ("latin1.csv", "caf\xe9,label\n".encode("latin-1"), "bad CSV header at line 1: not UTF-8"),
    ],
)
def test_unreadable_content_raises_source_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        list(read_url_list(path))
    assert count_candidates(path) is None


@pytest.mark.parametrize("name", ["secret.txt", "secret.parquet"])
def test_unopenable_file_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / name
    path.write_text(URLS[0])

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # chmod cannot lock out root (CI containers), so the refusal is simulated.
    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(SourceError, match="cannot open: Permission denied"):
        list(read_url_list(path))


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".jsonl"])
def test_empty_files_yield_nothing(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    assert list(read_url_list(path)) == []
    assert count_candidates(path) == 0


def test_header_only_csv_and_empty_parquet_yield_nothing(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("url,label\n")
    pq.write_table(pa.table({"url": pa.array([], pa.string())}), tmp_path / "e.parquet")
    assert list(read_url_list(tmp_path / "h.csv")) == []
    assert list(read_url_list(tmp_path / "e.parquet")) == []


# --- counting ---------------------------------------------------------------------------------


def test_count_matches_what_is_yielded(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text(f"# c\n{URLS[0]}\n\n{URLS[1]}\n")
    csv_file = tmp_path / "b.csv"
    csv_file.write_text(f'url,title\n{URLS[0]},"multi\nline"\n\n{URLS[1]},x\n')
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text('{"url": "u"}\n\nbroken\n')
    parquet = write_rows(tmp_path / "d.parquet", [{"url": u} for u in URLS])
    for path in (txt, csv_file, jsonl, parquet):
        assert count_candidates(path) == len(list(read_url_list(path))), path.name


# --- streaming --------------------------------------------------------------------------------


def test_reading_is_lazy_a_late_bad_byte_costs_only_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    lines = [f"https://example.com/{i}.jpg\n".encode() for i in range(200_000)]
    lines[150_000] = b"https://example.com/\xff.jpg\n"
    path.write_bytes(b"".join(lines))
    stream = read_url_list(path)
    assert isinstance(stream, types.GeneratorType)  # a lazy generator, not a list
    first = [c.url for c in itertools.islice(stream, 10)]
    assert first == [f"https://example.com/{i}.jpg" for i in range(10)]
    rest = list(stream)
    bad = [c for c in rest if c.problem]
    assert [c.problem for c in bad] == [
        "bad row at line 150001: not UTF-8 (byte 0xff at column 21)"
    ]
    assert bad[0].url == "<big.txt line 150001>"
    assert len(rest) == 200_000 - 10


def _bad_rows_of(path: Path) -> list[tuple[str, str | None]]:
    return [(c.url[:40], c.problem) for c in read_url_list(path)]


def test_one_bad_row_costs_one_row_in_every_text_format(tmp_path: Path) -> None:
    big_field = "b" * 200_000
    csv_file = tmp_path / "pets.csv"
    csv_file.write_bytes(
        b"url,label\n"
        + f"{URLS[0]},cat\n".encode()
        + f"https://e.com/{big_field},dog\n".encode()
        + "https://e.com/caf\xe9.jpg,cat\n".encode("latin-1")
        + b"junk,cat\n"
        + f"{URLS[1]},dog\n".encode()
    )
    assert _bad_rows_of(csv_file) == [
        (URLS[0], None),
        (
            "<pets.csv line 3>",
            "bad row at line 3: bad CSV (field larger than field limit (131072))",
        ),
        ("<pets.csv line 4>", "bad row at line 4: not UTF-8 (byte 0xe9 at column 18)"),
        ("junk", "bad row at line 5: not an http(s) URL"),
        (URLS[1], None),
    ]
    assert count_candidates(csv_file) == 5


def test_an_over_long_line_is_skipped_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_bytes(URLS[0].encode() + b"\n" + b"x" * (3 << 20) + b"\n" + URLS[1].encode())
    assert _bad_rows_of(path) == [
        (URLS[0], None),
        ("<long.txt line 2>", "bad row at line 2: line longer than 1048576 B"),
        (URLS[1], None),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
@pytest.mark.parametrize("suffix", [".txt", ".csv", ".jsonl"])
def test_reads_from_a_pipe_without_waiting_for_its_end(tmp_path: Path, suffix: str) -> None:
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    header = "url\n" if suffix == ".csv" else ""
    rows = [json.dumps({"url": u}) if suffix == ".jsonl" else u for u in URLS]
    done, gave_up = threading.Event(), threading.Event()

    def writer() -> None:
        with fifo.open("w") as pipe:
            pipe.write(header + "\n".join(rows) + "\n")
            pipe.flush()
            # The pipe stays open: a reader that waited for end-of-file would hang here.
            if not done.wait(timeout=10):
                gave_up.set()

    thread = threading.Thread(target=writer)
    thread.start()
    stream = read_url_list(fifo)
    try:
        assert [c.url for c in itertools.islice(stream, 3)] == URLS
        assert not gave_up.is_set()
        assert count_candidates(fifo) is None  # counting would consume the pipe
    finally:
        done.set()
        thread.join()
        stream.close()
