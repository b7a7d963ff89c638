"""A long URL list keeps the parent's memory flat: no per-row set of claimed or finished keys."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

from pixcrawler.builder._pipeline import BuildOptions, build_dataset
from pixcrawler.config import Settings
from pixcrawler.records import Candidate

ROWS = 200_000
MEASURE_FROM = 50_000


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_long_list_keeps_memory_flat(tmp_path: Path) -> None:
    samples: dict[str, int] = {}

    def rows() -> Iterator[Candidate]:
        # Bad rows: recorded without a request, so the test measures the list's bookkeeping.
        for index in range(ROWS):
            if index == MEASURE_FROM:
                samples["start"] = _rss_kb()
            yield Candidate(f"https://example.com/{index:09d}/a-fairly-long-path-to-an-image.jpg",
                            "cats", problem=f"bad row at line {index + 1}: test")  # fmt: skip
        samples["end"] = _rss_kb()

    options = BuildOptions(validation_workers=0, report=False)
    settings = Settings(max_concurrency=8)
    asyncio.run(build_dataset(rows(), tmp_path / "ds", settings, options)).close()
    growth_kb = samples["end"] - samples["start"]
    rows_measured = ROWS - MEASURE_FROM
    # A set of (url, label) keys grew about 150 B a row (22 MB here); what is left is SQLite's
    # bounded page caches and allocator noise.
    print(f"RSS growth: {growth_kb} kB over {rows_measured} rows")
    assert growth_kb * 1024 / rows_measured < 40, f"{growth_kb} kB over {rows_measured} rows"
