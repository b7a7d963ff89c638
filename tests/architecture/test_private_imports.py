"""No module reaches into another package's ``_private`` modules or names.

A package says what it offers in its ``__init__``; a private module (``_name.py``) or a private
name may be imported only from inside the package that holds it.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every dotted name imported, with ``from a import b`` giving ``a.b``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _owner_of_private(dotted: str) -> str | None:
    """The package that owns the first private segment of ``dotted`` (None: all public)."""
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index])
    return None


def violations() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        package = _package_of(module, path)
        for line, dotted in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            if not dotted.startswith("pixcrawler"):
                continue
            owner = _owner_of_private(dotted)
            if owner is not None and not (package == owner or package.startswith(owner + ".")):
                found.append(f"{path.relative_to(SRC)}:{line} imports {dotted}")
    return found


def test_no_module_imports_another_packages_private_parts() -> None:
    assert violations() == []
