"""Stream image candidates out of URL-list files: txt, csv, tsv, jsonl, parquet, gzipped text."""

import csv
import gzip
import json
import zlib
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

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


class SourceError(ValueError):
    """A URL-list file that cannot be read as a whole; the message names the file and the cause."""


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path
    format: str
    gzipped: bool
    stem: str


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

    Per-row problems do not stop the stream and are not dropped: every row becomes a candidate
    so the manifest can record why it failed. A cell that is not an http(s) URL is yielded as
    written (whitespace stripped) for the downloader to reject; a row without a URL or a JSONL
    line that is not a JSON object is yielded with a placeholder URL such as
    ``<line 7: invalid JSON>`` that names where it was. Call ``close()`` on the returned
    generator to release the file early.

    Raises:
        SourceError: at once if the file is missing, a directory or of unknown format; during
            iteration if it cannot be read or decoded, or has no ``url_column`` (for JSONL: the
            first object lacks it). An empty file yields nothing.
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
    except (SourceError, csv.Error) as exc:
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
    for candidate in _READERS[source.format](source, wanted):
        rows += 1
        yield candidate
    log.bind(rows=rows).debug("url list read")


def _read_txt(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    with _open_text(source) as handle:
        for line in _lines(handle, source.path):
            if _is_url_line(line):
                yield Candidate(url=line.strip(), label=wanted.default_label, source=SOURCE)


def _read_csv(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    delimiter = "\t" if source.format == "tsv" else ","
    with _open_text(source) as handle:
        reader = csv.DictReader(_lines(handle, source.path), delimiter=delimiter)
        try:
            if reader.fieldnames is None:
                return
            columns = _match_columns(reader.fieldnames, wanted, source.path)
            for row in reader:
                yield _candidate(row, columns, wanted.default_label, f"line {reader.line_num}")
        except csv.Error as exc:
            raise SourceError(f"{source.path}: bad CSV at line {reader.line_num}: {exc}") from exc


def _read_jsonl(source: _Source, wanted: _Wanted) -> Iterator[Candidate]:
    columns: _Columns | None = None
    with _open_text(source) as handle:
        for number, line in enumerate(_lines(handle, source.path), start=1):
            if not line.strip():
                continue
            row = _json_object(line)
            if isinstance(row, str):
                yield Candidate(f"<line {number}: {row}>", wanted.default_label, SOURCE)
                continue
            columns = columns or _match_columns(list(row), wanted, source.path)
            yield _candidate(row, columns, wanted.default_label, f"line {number}")


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
                yield _candidate(row, columns, wanted.default_label, f"row {number}")
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
    with _open_text(source) as handle:
        lines = _lines(handle, source.path)
        if source.format == "txt":
            return sum(1 for line in lines if _is_url_line(line))
        if source.format == "jsonl":
            return sum(1 for line in lines if line.strip())
        rows = csv.reader(lines, delimiter="\t" if source.format == "tsv" else ",")
        return max(sum(1 for row in rows if row) - 1, 0)  # the header is not a candidate


def _count_parquet(path: Path) -> int:
    """Read the row count from the parquet footer without touching the data pages."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with _open_binary(path) as handle:
        try:
            return int(pq.ParquetFile(handle).metadata.num_rows)
        except pa.ArrowException as exc:
            raise SourceError(f"{path}: not a readable parquet file: {exc}") from exc


def _open_text(source: _Source) -> TextIO:
    """Open for reading as UTF-8 text, dropping a BOM; csv needs ``newline=""`` to see quotes."""
    newline = "" if source.format in {"csv", "tsv"} else None
    try:
        if source.gzipped:
            return gzip.open(source.path, "rt", encoding="utf-8-sig", newline=newline)
        return source.path.open(encoding="utf-8-sig", newline=newline)
    except OSError as exc:
        raise SourceError(f"{source.path}: cannot open: {exc.strerror or exc}") from exc


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def _lines(handle: TextIO, path: Path) -> Iterator[str]:
    """Yield an open file's lines, turning decode and read failures into :class:`SourceError`."""
    count = 0
    try:
        for line in handle:
            count += 1
            yield line
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text after line {count}: {exc.reason}") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: read failed after line {count}: {exc}") from exc


def _is_url_line(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


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
    row: Mapping[str, object], columns: _Columns, default_label: str, where: str
) -> Candidate:
    extra = {field: _text(row.get(name)) for field, name in columns.extras.items()}
    row_label = _text(row.get(columns.label)) if columns.label else None
    return Candidate(
        url=_text(row.get(columns.url)) or f"<{where}: no url>",
        label=row_label or default_label,
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
