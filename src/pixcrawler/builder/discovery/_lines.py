"""Physical lines of a text URL list, decoded one at a time so one bad line costs one row.

Decoding the whole file as UTF-8 text fails for good at the first bad byte, a buffer away from
the line that holds it. Reading bytes and decoding each line alone confines a bad byte, and an
over-long line, to their own line; only a file that cannot be read stops the stream.
"""

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Longest line accepted (1 MiB); a longer one is a bad row and is skipped, not held in memory.
MAX_LINE_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
# A lone CR ends a line too (old Mac files); CRLF stays one ending.
_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


class LineReadError(ValueError):
    """The file itself cannot be read (I/O error, broken compression)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line: its 1-based number and text (with its ending), or why it has none."""

    number: int
    text: str
    problem: str | None = None


def open_binary(path: Path, gzipped: bool) -> BinaryIO:
    """Open ``path`` for reading bytes, gunzipping on the fly; raises ``OSError``."""
    if gzipped:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def read_lines(handle: BinaryIO) -> Iterator[Line]:
    """Every line of ``handle`` in order; a line that is not UTF-8 or too long has a problem.

    Raises:
        LineReadError: when reading fails (the message says after which line).
    """
    number = 0
    try:
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                _skip_rest_of_line(handle)
                number += 1
                yield Line(number, "", f"line longer than {MAX_LINE_BYTES} B")
                continue
            if number == 0:
                raw = raw.removeprefix(_BOM)
            for piece in _LONE_CR.split(raw) if b"\r" in raw else (raw,):
                if piece:
                    number += 1
                    yield _decoded(number, piece)
    except (OSError, EOFError, zlib.error) as exc:
        raise LineReadError(f"read failed after line {number}: {exc}") from exc


def _skip_rest_of_line(handle: BinaryIO) -> None:
    """Drop the rest of an over-long line, a megabyte at a time."""
    while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
        pass


def _decoded(number: int, raw: bytes) -> Line:
    try:
        return Line(number, raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        where = f"byte {raw[exc.start]:#04x} at column {exc.start + 1}"
        return Line(number, "", f"not UTF-8 ({where})")


class CsvFeed:
    """The lines the csv reader pulls; one with a problem is held back and fed as a blank line.

    csv skips blank lines, so a bad line never merges with its neighbours; the reader's caller
    takes the held-back lines (``take_problems``) and reports each as its own row.
    """

    def __init__(self, lines: Iterator[Line]) -> None:
        self._lines = lines
        self.number = 0
        self._problems: list[Line] = []

    def __iter__(self) -> "CsvFeed":
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number = line.number
        if line.problem is not None:
            self._problems.append(line)
            return "\n"
        return line.text

    def take_problems(self) -> list[Line]:
        problems, self._problems = self._problems, []
        return problems
