"""Build a dataset: discovery, download, validation, dedup and the dataset folder.

Subpackages, lowest first: ``net`` (HTTP plumbing), ``dataset`` (a dataset folder's state,
exports, labels, statistics), ``discovery`` (search engines, keyword classes, URL lists),
``fetch`` (per-image work and fetch processes, over ``_downloader``); ``_generator`` writes a
dataset folder and ``_pipeline`` wires them all. Names load on first use, so importing one
subpackage does not load the whole pipeline.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pixcrawler.builder._generator import DatasetError, DatasetWriter
    from pixcrawler.builder._pipeline import BuildOptions, build_dataset

__all__ = ["BuildOptions", "DatasetError", "DatasetWriter", "build_dataset"]

_HOMES = {
    "BuildOptions": "_pipeline",
    "build_dataset": "_pipeline",
    "DatasetError": "_generator",
    "DatasetWriter": "_generator",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
