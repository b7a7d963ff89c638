"""Stream image candidates out of URL-list files: txt, csv, tsv, jsonl, parquet, gzipped text."""

import csv
import json
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pixcrawler.builder.discovery._lines import (
    CsvFeed,
    LineReadError,
    open_binary,
    read_lines,
)
from pixcrawler.records import Candidate
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

SOURCE = "url_list"
#: Candidate fields filled from a column of the same name when the file has one.
OPTIONAL_COLUMNS = ("page_url", "title", "license", "license_url", "attribution")
FORMATS = ("txt", "csv", "tsv", "jsonl", "parquet")
_FORMAT_BY_SUFFIX = {
    **{suffix: "txt" for suffix in (".txt", ".lst", ".urls")},
    **{".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"},
    ".parquet": "parquet",
}
_PARQUET_BATCH_ROWS = 4096
_HTTP_URL = re.compile(r"https?://\S+\Z", re.IGNORECASE)
_HTTP_SCHEME = re.compile(r"https?://", re.IGNORECASE)
# "url  # note": a comment after whitespace. A '#' inside a URL (a fragment) has none before it.
_TRAILING_COMMENT = re.compile(r"\s+#.*\Z", re.DOTALL)
#: Longest text of a bad row kept as its manifest ``url`` (the reason says what was wrong).
_BAD_TEXT_CHARS = 2000


class SourceError(ValueError):
    """A URL-list file that cannot be read as a whole; the message names the file and the cause."""


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path
    format: str
    gzipped: bool
    stem: str

    def bad_row(self, where: str, problem: str, label: str, written: str | None) -> Candidate:
        """The candidate of a row that cannot be fetched: recorded with its reason, never sent.

        Its ``url`` is the text as written, or names the file and line when there is none.
        """
        text = (written or "").strip()[:_BAD_TEXT_CHARS]
        return Candidate(
            url=text or f"<{self.path.name} {where}>",
            label=label,
            source=SOURCE,
            problem=f"bad row at {where}: {problem}",
        )


@dataclass(frozen=True, slots=True)
class _Wanted:
    """What the caller asked for: column names and the class of rows without one."""

    url: str
    label: str
    default_label: str


@dataclass(frozen=True, slots=True)
class _Columns:
    """Column names as spelled in the file: the URL, the optional label and the extras."""

    url: str
    label: str | None
    extras: dict[str, str]  # Candidate field -> column name


def read_url_list(
    path: Path,
    *,
    label: str | None = None,
    url_column: str = "url",
    label_column: str = "label",
    fmt: str | None = None,
) -> Generator[Candidate, None, None]:
    """Lazily yield one :class:`Candidate` per row of a URL-list file, never loading it whole.

    The format comes from ``fmt`` (``txt``, ``csv``, ``tsv``, ``jsonl``, ``parquet`` or a suffix
    alias such as ``lst``/``ndjson``) or from the suffix; a trailing ``.gz`` is decompressed on
    the fly. Text is UTF-8 (a BOM is ignored) with any line endings. In ``txt`` files blank lines
    and ``#`` comments are skipped. A row's class is its ``label_column`` cell, else ``label``,
    else the file's stem (``cats.txt.gz`` -> ``cats``). Column names match exactly, else
    ignoring case and surrounding spaces.

    A ``txt`` line may end in a comment after whitespace (``https://… # note``).

    One bad row costs one row: a row that cannot be fetched (not an http(s) URL, whitespace
    inside the URL, no URL, a line that is not UTF-8 or longer than 1 MiB, a CSV field over the
    csv limit, a JSONL line that is not a JSON object) is yielded with ``problem`` set to
    "bad row at line N: …", and its ``url`` is the text as written (or ``<file line N>``); the
    stream goes on. Call ``close()`` on the returned generator to release the file early.

    Raises:
        SourceError: at once if the file is missing, a directory or of unknown format; during
            iteration if it cannot be read (I/O error, broken compression, unreadable header), or
            has no ``url_column`` (for JSONL: the first object lacks it). An empty file yields
            nothing.
    """
    source = _resolve(path, fmt)
    wanted = _Wanted(url_column, label_column, _text(label) or source.stem)
    return _stream(source, wanted)


def count_candidates(path: Path, *, fmt: str | None = None) -> int | None:
    """Count the rows :func:`read_url_list` would yield, streaming, for a progress-bar total.

    Returns None when counting would consume the input (a pipe) or the content is unreadable;
    raises :class:`SourceError` for the same missing-file and unknown-format cases.
    """
    source = _resolve(path, fmt)
    if not source.path.is_file():
        return None
    try:
        return _count(source)
    except (SourceError, LineReadError, csv.Error) as exc:
        logger.bind(path=str(path), error=str(exc)).debug("cannot count url list rows")
        return None


def _resolve(path: Path, fmt: str | None) -> _Source:
    """Check the file exists and work out its format, compression and default class."""
    gzipped = path.suffix.lower() == ".gz"
    inner = Path(path.stem) if gzipped else path
    key = f".{fmt.lower().lstrip('.')}" if fmt else inner.suffix.lower()
    if key not in _FORMAT_BY_SUFFIX:
        allowed = ", ".join(_FORMAT_BY_SUFFIX)
        raise SourceError(
            f"{path}: unknown URL-list format {key or '(no suffix)'!r}; use one of {allowed}"
            " (optionally .gz) or pass fmt="
        )
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, not a URL list")
    source = _Source(path, _FORMAT_BY_SUFFIX[key], gzipped, inner.stem)
    if source.gzipped and source.format == "parquet":
        raise SourceError(f"{path}: parquet compresses internally; pass the .parquet file as is")
    return source


def _stream(source: _Source, wanted: _Wanted) -> Generator[Candidate, None, None]:
    """Yield the candidates of one file, logging where the stream came from and how long it was."""
    log = logger.bind(path=str(source.path), format=source.format, gzipped=source.gzipped)
    log.debug("reading url list")
    rows = 0
    try:
        for candidate in _READERS[source.format](source, wanted):
            rows += 1
            yield candidate
    except LineReadError as exc:
        raise SourceError(f"{source.path}: {exc}") from exc
    log.bind(rows=rows).debug("url list read")


def _read_txt(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    label = wanted.default_label
    with _open(source) as handle:
        for line in read_lines(handle):
            if line.problem is not None:
                yield source.bad_row(f"line {line.number}", line.problem, label, None)
                continue
            text = _TRAILING_COMMENT.sub("", line.text.strip())
            if not text or text.startswith("#"):
                continue
            problem = _url_problem(text)
            if problem is None:
                yield Candidate(url=text, label=label, source=SOURCE)
            else:
                yield source.bad_row(f"line {line.number}", problem, label, text)


def _read_csv(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    delimiter = "\t" if source.format == "tsv" else ","
    label = wanted.default_label
    with _open(source) as handle:
        feed = CsvFeed(read_lines(handle))
        reader = csv.DictReader(feed, delimiter=delimiter)
        fieldnames = _csv_header(reader, feed, source.path)
        if fieldnames is None:
            return
        columns = _match_columns(fieldnames, wanted, source.path)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row, problem = None, f"bad CSV ({exc})"
            for line in feed.take_problems():
                yield source.bad_row(f"line {line.number}", str(line.problem), label, None)
            if row is None:
                yield source.bad_row(f"line {feed.number}", problem, label, None)
            else:
                yield _candidate(row, columns, source, label, f"line {feed.number}")
        for line in feed.take_problems():
            yield source.bad_row(f"line {line.number}", str(line.problem), label, None)


def _csv_header(reader: "csv.DictReader[str]", feed: CsvFeed, path: Path) -> Sequence[str] | None:
    """The header's column names; a header that cannot be read makes the file unreadable."""
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise SourceError(f"{path}: bad CSV header at line {feed.number}: {exc}") from exc
    problems = feed.take_problems()
    if problems:
        raise SourceError(
            f"{path}: bad CSV header at line {problems[0].number}: {problems[0].problem}"
        )
    return fieldnames


def _read_jsonl(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    columns: _Columns | None = None
    label = wanted.default_label
    with _open(source) as handle:
        for line in read_lines(handle):
            where = f"line {line.number}"
            if line.problem is not None:
                yield source.bad_row(where, line.problem, label, None)
                continue
            if not line.text.strip():
                continue
            row = _json_object(line.text)
            if isinstance(row, str):
                yield source.bad_row(where, row, label, None)
                continue
            columns = columns or _match_columns(list(row), wanted, source.path)
            yield _candidate(row, columns, source, label, where)


def _read_parquet(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with _open_binary(source.path) as handle:
        try:
            parquet = pq.ParquetFile(handle)
            columns = _match_columns(parquet.schema_arrow.names, wanted, source.path)
            needed = [columns.url, columns.label, *columns.extras.values()]
            batches = parquet.iter_batches(
                batch_size=_PARQUET_BATCH_ROWS, columns=list(dict.fromkeys(c for c in needed if c))
            )
            rows = (row for batch in batches for row in batch.to_pylist())
            for number, row in enumerate(rows, start=1):
                yield _candidate(row, columns, source, wanted.default_label, f"row {number}")
        except pa.ArrowException as exc:
            raise SourceError(f"{source.path}: not a readable parquet file: {exc}") from exc


_READERS = {
    "txt": _read_txt,
    "csv": _read_csv,
    "tsv": _read_csv,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}


def _count(source: _Source) -> int:
    if source.format == "parquet":
        return _count_parquet(source.path)
    with _open(source) as handle:
        lines = read_lines(handle)
        if source.format == "txt":
            return sum(1 for line in lines if line.problem or _is_url_line(line.text))
        if source.format == "jsonl":
            return sum(1 for line in lines if line.problem or line.text.strip())
        feed = CsvFeed(lines)
        reader = csv.reader(feed, delimiter="\t" if source.format == "tsv" else ",")
        if next(reader, None) is None:
            return 0
        if feed.take_problems():
            raise SourceError(f"{source.path}: unreadable CSV header")
        rows = 0
        while True:
            try:
                rows += bool(next(reader))
            except StopIteration:
                break
            except csv.Error:
                rows += 1
            rows += len(feed.take_problems())
        return rows


def _count_parquet(path: Path) -> int:
    """Read the row count from the parquet footer without touching the data pages."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with _open_binary(path) as handle:
        try:
            return int(pq.ParquetFile(handle).metadata.num_rows)
        except pa.ArrowException as exc:
            raise SourceError(f"{path}: not a readable parquet file: {exc}") from exc


def _open(source: _Source) -> BinaryIO:
    """Open for reading bytes (gunzipped); lines are decoded one at a time by ``read_lines``."""
    try:
        return open_binary(source.path, source.gzipped)
    except OSError as exc:
        raise SourceError(f"{source.path}: cannot open: {exc.strerror or exc}") from exc


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def _is_url_line(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


def _url_problem(text: str) -> str | None:
    """Why ``text`` (stripped) cannot be fetched, or None for an http(s) URL."""
    if _HTTP_URL.match(text):
        return None
    if _HTTP_SCHEME.match(text):
        return "whitespace inside the URL"
    return "not an http(s) URL"


def _json_object(line: str) -> dict[str, object] | str:
    """Parse one JSONL line: the object, or a short reason why the line is not one."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return "invalid JSON"
    return value if isinstance(value, dict) else "not a JSON object"


def _match_columns(found: Sequence[str], wanted: _Wanted, path: Path) -> _Columns:
    """Find the wanted columns among ``found``; a missing URL column is a file-level error."""
    url_name = _match(wanted.url, found)
    if url_name is None:
        names = ", ".join(repr(name) for name in found) or "none"
        raise SourceError(
            f"{path}: no {wanted.url!r} column (columns found: {names}); set url_column"
        )
    extras = {field: name for field in OPTIONAL_COLUMNS if (name := _match(field, found))}
    return _Columns(url_name, _match(wanted.label, found), extras)


def _match(wanted: str, found: Sequence[str]) -> str | None:
    if wanted in found:
        return wanted
    folded = wanted.strip().casefold()
    return next((name for name in found if name.strip().casefold() == folded), None)


def _candidate(
    row: Mapping[str, object], columns: _Columns, source: _Source, default_label: str, where: str
) -> Candidate:
    row_label = _text(row.get(columns.label)) if columns.label else None
    label = row_label or default_label
    url = _text(row.get(columns.url))
    problem = "no url" if url is None else _url_problem(url)
    if url is None or problem is not None:
        return source.bad_row(where, problem or "no url", label, url)
    extra = {field: _text(row.get(name)) for field, name in columns.extras.items()}
    return Candidate(
        url=url,
        label=label,
        source=SOURCE,
        page_url=extra.get("page_url"),
        title=extra.get("title"),
        license=extra.get("license"),
        license_url=extra.get("license_url"),
        attribution=extra.get("attribution"),
    )


def _text(value: object) -> str | None:
    """A cell as stripped text; None for a missing, null or blank cell."""
    if value is None:
        return None
    if isinstance(value, bytes):  # parquet binary columns
        value = value.decode("utf-8", errors="replace")
    text = (value if isinstance(value, str) else str(value)).strip()
    return text or None
