"""Switches for benchmarks/overhead.py, applied at start-up in every process of a measured run.

On ``PYTHONPATH`` only for those runs, so the CLI and its fetch processes import it first:

- ``PIXCRAWLER_BENCH_RETRY=off``: the retry decorators become pass-throughs (one attempt, no
  policy), before any module applies them;
- ``PIXCRAWLER_BENCH_LOGGING=off``: ``configure_logging`` does nothing, so loguru stays disabled
  for pixcrawler (the library default) and no sink exists.

Both modules are imported in every run, switched or not, so all variants pay the same imports.
"""

import os
from collections.abc import Callable
from typing import Any

import pixcrawler.retry as _retry
import pixcrawler.utility.logging_config as _logging_config


def _pass_through(fn: Callable[..., Any]) -> Callable[..., Any]:
    return fn


def _no_logging(**_: Any) -> None:
    return None


if os.environ.get("PIXCRAWLER_BENCH_RETRY") == "off":
    _retry.NETWORK_RETRY = _pass_through  # type: ignore[assignment]
    _retry.NETWORK_RETRY_SYNC = _pass_through  # type: ignore[assignment]
if os.environ.get("PIXCRAWLER_BENCH_LOGGING") == "off":
    _logging_config.configure_logging = _no_logging  # type: ignore[assignment]
