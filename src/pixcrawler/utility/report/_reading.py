"""Stream a dataset's exported files (JSON lines, class list) and name what is wrong with them."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """The folder is not a readable PixCrawler dataset (a missing or malformed export)."""


def require_file(path: Path) -> Path:
    """Return ``path`` if it is a file, else raise :class:`ReportError` naming it."""
    if not path.is_file():
        raise ReportError(
            f"{path.parent} is not a PixCrawler dataset: {path.name} is missing "
            "(run `pixcrawler build` to create it)"
        )
    return path


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON-lines file one at a time; blank lines are skipped.

    Raises:
        ReportError: the file is missing, or a line is not a JSON object.
    """
    with require_file(path).open(encoding="utf-8") as stream:
        try:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    yield _parse_object(line, path, number)
        except UnicodeDecodeError as error:
            raise ReportError(f"{path}: not UTF-8 text ({error.reason})") from error


def read_classes(path: Path) -> list[str]:
    """The class names in ``labels/classes.json`` (index order); empty if the file is absent.

    Raises:
        ReportError: the file exists but is not a JSON list of strings.
    """
    if not path.is_file():
        return []
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ReportError(f"{path}: expected a JSON list of class names")
    return names


def text(row: dict[str, Any], key: str) -> str | None:
    """``row[key]`` as a non-empty string, or ``None`` when absent, null or blank."""
    value = row.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def number(row: dict[str, Any], key: str) -> int | None:
    """``row[key]`` as an int, or ``None`` when it is absent or not a whole number."""
    value = row.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _parse_object(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}:{number}: not valid JSON ({error.msg})") from error
    if not isinstance(row, dict):
        raise ReportError(f"{path}:{number}: expected a JSON object per line")
    return row
