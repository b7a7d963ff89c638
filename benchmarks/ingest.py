"""Side-by-side ingest benchmark: PixCrawler against img2dataset on the same loopback URL list.

Run from the repository root:  .venv/bin/python benchmarks/ingest.py [--n 2000] [--repeat 3]
The last line printed is ``ratio: X.XX``, PixCrawler's images/s over img2dataset's.
"""

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from _loopback import LoopbackServer, serve_in_subprocess
from _measure import Measurement, run_measured
from _peers import (
    PIXCRAWLER_BIN,
    WORK_DIR,
    Concurrency,
    count_images,
    default_processes,
    ensure_img2dataset,
    img2dataset_invocation,
    manifest_kept,
    pixcrawler_invocation,
    pixcrawler_ready,
)

TOOLS = ("img2dataset", "pixcrawler")
#: Images in the runs that measure start-up cost.
TINY_IMAGES = 10


@dataclass(frozen=True)
class Run:
    """One timed run of one tool, with what it wrote and what the server saw."""

    tool: str
    images: int
    requests: int
    cost: Measurement
    log: Path

    @property
    def images_per_second(self) -> float:
        return self.images / self.cost.seconds if self.cost.seconds > 0 else 0.0

    def net_images_per_second(self, tiny: "Run | None") -> float | None:
        """Throughput once started: this run less a tiny run's time and images."""
        if tiny is None or self.cost.seconds <= tiny.cost.seconds:
            return None
        return (self.images - tiny.images) / (self.cost.seconds - tiny.cost.seconds)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="distinct images to ingest")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="total requests in flight, for each tool"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=default_processes(),
        help="img2dataset processes (sharing the concurrency) and PixCrawler fetch processes",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the best counts")
    parser.add_argument("--keep", action="store_true", help="keep the output directories")
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help=f"skip the untimed first {TINY_IMAGES}-image run of each tool (fills the page cache)",
    )
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset to run")
    parser.add_argument("--pixcrawler-bin", type=Path, default=PIXCRAWLER_BIN)
    parser.add_argument(
        "--min-fraction",
        type=float,
        default=0.95,
        help="a tool that writes fewer than this share of the images has failed",
    )
    args = parser.parse_args(argv)
    args.tools = [tool.strip() for tool in args.tools.split(",") if tool.strip()]
    unknown = set(args.tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {sorted(unknown)}; choose from {TOOLS}")
    if args.n <= TINY_IMAGES or args.repeat < 1 or args.concurrency < 1:
        parser.error(f"need --n > {TINY_IMAGES}, --repeat >= 1 and --concurrency >= 1")
    return args


@dataclass(frozen=True)
class Session:
    """Everything the runs of one benchmark share."""

    args: argparse.Namespace
    limits: Concurrency
    server: LoopbackServer
    scratch: Path

    def run(self, tool: str, urls: Path, name: str, n: int) -> Run:
        """Time one run of ``tool`` over ``urls`` (``n`` of them) and count what it wrote."""
        out_dir = self.scratch / name
        if tool == "img2dataset":
            invocation = img2dataset_invocation(urls, out_dir, n, self.limits)
        else:
            invocation = pixcrawler_invocation(urls, out_dir, self.limits, self.args.pixcrawler_bin)
        before = self.server.stats()
        cost = run_measured(invocation.command, invocation.env, self.scratch / f"{name}.log")
        # The /__stats request that `before` made is counted by the server; it is not the tool's.
        requests = self.server.stats()["requests"] - before["requests"] - 1
        images = count_images(out_dir)
        kept = manifest_kept(out_dir) if tool == "pixcrawler" else None
        if kept is not None and kept != images:
            print(f"  note: pixcrawler's manifest says {kept} kept; {images} image files on disk")
        # Outputs stay until the end (the scratch folder goes then): on this machine the first
        # run after deleting thousands of files spent 3-4 s more in the kernel creating its own.
        return Run(tool, images, requests, cost, self.scratch / f"{name}.log")


def check(run: Run, n: int, min_fraction: float) -> str | None:
    """Why ``run`` does not count as a success, or None."""
    if run.cost.exit_code != 0:
        return f"exited with {run.cost.exit_code}; see {run.log}"
    if run.images < min_fraction * n:
        return f"wrote only {run.images} of {n} images; see {run.log}"
    return None


def write_urls(path: Path, urls: list[str]) -> Path:
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return path


@dataclass
class Results:
    """The fastest good full and tiny run of each tool, and what went wrong."""

    best: dict[str, Run] = field(default_factory=dict)
    startup: dict[str, Run] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def record(self, run: Run, name: str, n: int, min_fraction: float, *, tiny: bool) -> None:
        problem = check(run, n, min_fraction)
        kept = self.startup if tiny else self.best
        if problem:
            self.failures.append(f"{run.tool} {name} {problem}")
        elif run.tool not in kept or run.cost.seconds < kept[run.tool].cost.seconds:
            kept[run.tool] = run


def measure(session: Session) -> Results:
    """An untimed warm-up, then ``--repeat`` interleaved rounds of a tiny and a full run each.

    The warm-up fills the page cache with each tool's code; the tiny runs measure start-up
    cost, so that throughput once started can be told apart from the fixed cost of starting.
    """
    args, results = session.args, Results()
    tiny = write_urls(session.scratch / "tiny.txt", session.server.image_urls(TINY_IMAGES))
    full = write_urls(session.scratch / "urls.txt", session.server.image_urls(args.n))
    if args.warmup:
        for tool in args.tools:
            run = session.run(tool, tiny, f"{tool}-warmup", TINY_IMAGES)
            if problem := check(run, TINY_IMAGES, 1.0):
                results.failures.append(f"{tool} warm-up {problem}")
    for attempt in range(1, args.repeat + 1):
        for tool in args.tools:
            small = session.run(tool, tiny, f"{tool}-tiny-{attempt}", TINY_IMAGES)
            results.record(small, f"tiny run {attempt}", TINY_IMAGES, 1.0, tiny=True)
            run = session.run(tool, full, f"{tool}-{attempt}", args.n)
            results.record(run, f"run {attempt}", args.n, args.min_fraction, tiny=False)
            print(
                f"  {tool} run {attempt}: {run.images} images in {run.cost.seconds:.2f} s "
                f"({run.images_per_second:.1f}/s); {small.images} in {small.cost.seconds:.2f} s"
            )
    return results


COLUMNS = (
    ("tool", 12),
    ("images", 6),
    ("seconds", 7),
    ("images/s", 8),
    ("start s", 7),
    ("net img/s", 9),
    ("cpu s", 6),
    ("max RSS MB", 10),
    ("tree RSS MB", 11),
    ("requests", 8),
)


def table_row(run: Run, tiny: Run | None) -> list[str]:
    """One row of the results table, in the order of ``COLUMNS``."""
    cost, net = run.cost, run.net_images_per_second(tiny)
    return [
        run.tool,
        str(run.images),
        f"{cost.seconds:.2f}",
        f"{run.images_per_second:.1f}",
        f"{tiny.cost.seconds:.2f}" if tiny else "-",
        f"{net:.1f}" if net else "-",
        f"{cost.cpu_seconds:.1f}",
        f"{cost.max_rss_mb:.0f}",
        f"{cost.peak_tree_rss_mb:.0f}",
        str(run.requests),
    ]


def print_table(results: Results, limits: Concurrency) -> None:
    print(
        f"\nconcurrency {limits.total} in total (img2dataset: {limits.processes} processes x "
        f"{limits.threads_per_process} threads; pixcrawler: {limits.processes} fetch processes, "
        f"max and per-host {limits.total})"
    )
    rows = [[name for name, _ in COLUMNS]]
    rows += [table_row(run, results.startup.get(run.tool)) for run in results.best.values()]
    for row in rows:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, (_, width)) in enumerate(zip(row, COLUMNS, strict=True))
        ]
        print(" ".join(cells))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limits = Concurrency(total=args.concurrency, processes=min(args.processes, args.concurrency))
    if "img2dataset" in args.tools:
        print(f"img2dataset {ensure_img2dataset()} in {WORK_DIR / 'venv-img2dataset'}")
    if "pixcrawler" in args.tools and not pixcrawler_ready(args.pixcrawler_bin):
        print(f"error: `{args.pixcrawler_bin} build --help` does not work", file=sys.stderr)
        return 1
    load, cores = os.getloadavg()[0], default_processes()
    if load > cores / 2:
        print(f"note: load average {load:.1f} on {cores} cores; expect noisy timings")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=WORK_DIR))
    print(f"generating and serving {args.n} images; output under {scratch}")
    with serve_in_subprocess(args.n) as server:
        results = measure(Session(args, limits, server, scratch))
    print_table(results, limits)
    for failure in results.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if results.failures:
        return 1
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(results.best) == len(TOOLS):
        pixcrawler, img2dataset = results.best["pixcrawler"], results.best["img2dataset"]
        print(f"ratio: {pixcrawler.images_per_second / img2dataset.images_per_second:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
