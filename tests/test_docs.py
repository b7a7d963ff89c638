"""The Python examples in docs/ run as written: a doc that lies fails the build."""

import re
from pathlib import Path

import pytest
from loguru import logger

DOCS = Path(__file__).resolve().parents[1] / "docs"
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _examples() -> list[tuple[str, int, str]]:
    found = []
    for doc in ("RETRY_ARCHITECTURE.md", "LOGGING_GUIDE.md"):
        for index, block in enumerate(_BLOCK.findall((DOCS / doc).read_text())):
            found.append((doc, index, block))
    return found


@pytest.mark.parametrize(("doc", "index", "code"), _examples(), ids=lambda v: str(v)[:30])
def test_example_runs(doc: str, index: int, code: str) -> None:
    try:
        exec(compile(code, f"{doc}[{index}]", "exec"), {"__name__": f"docs_{index}"})
    finally:
        logger.remove()


def test_every_doc_has_examples() -> None:
    docs = {doc for doc, _, _ in _examples()}
    assert docs == {"RETRY_ARCHITECTURE.md", "LOGGING_GUIDE.md"}
