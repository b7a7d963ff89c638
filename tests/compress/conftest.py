"""Fixtures for the compress tests: a fresh hand-built dataset and an archive reader."""

from pathlib import Path

import pytest
from compress_samples import Extract, build_dataset, read_members


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A fresh dataset at ``tmp_path/pets``."""
    root = tmp_path / "pets"
    root.mkdir()
    return build_dataset(root)


@pytest.fixture
def extract() -> Extract:
    """:func:`read_members` as a fixture."""
    return read_members
