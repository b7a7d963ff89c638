"""The package's curated API: every listed name importable, nothing loaded before it is used."""

import subprocess
import sys

import pytest

import pixcrawler


def test_every_public_name_resolves() -> None:
    assert sorted(pixcrawler.__all__) == pixcrawler.__all__
    for name in pixcrawler.__all__:
        assert getattr(pixcrawler, name) is not None
    assert set(pixcrawler.__all__) <= set(dir(pixcrawler))


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = pixcrawler.nope  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_pipeline() -> None:
    probe = "import sys, pixcrawler; print('pixcrawler.builder._pipeline' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "False", result.stderr
