"""Side-by-side ingest benchmark: PixCrawler against img2dataset on the same loopback URL list.

Run from the repository root:  .venv/bin/python benchmarks/ingest.py [--n 2000] [--repeat 3]
The last line printed is ``ratio: X.XX``, PixCrawler's images/s over img2dataset's.
"""

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _loopback import LoopbackServer, serve_in_subprocess
from _measure import Measurement, run_measured
from _peers import (
    PIXCRAWLER_BIN,
    WORK_DIR,
    Concurrency,
    Invocation,
    count_images,
    default_processes,
    ensure_img2dataset,
    img2dataset_invocation,
    manifest_kept,
    pixcrawler_invocation,
    pixcrawler_ready,
)

TOOLS = ("img2dataset", "pixcrawler")


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
        help="img2dataset processes (the concurrency is split across them); default: one a core",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the best counts")
    parser.add_argument("--keep", action="store_true", help="keep the output directories")
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
    return args


def invocation_for(
    tool: str, args: argparse.Namespace, urls: Path, out_dir: Path, limits: Concurrency
) -> Invocation:
    if tool == "img2dataset":
        return img2dataset_invocation(urls, out_dir, args.n, limits)
    return pixcrawler_invocation(urls, out_dir, limits, args.pixcrawler_bin)


def run_once(invocation: Invocation, server: LoopbackServer, log: Path) -> Run:
    """Time one run and count what it wrote."""
    before = server.stats()
    cost = run_measured(invocation.command, invocation.env, log)
    after = server.stats()
    images = count_images(invocation.out_dir)
    if invocation.tool == "pixcrawler":
        kept = manifest_kept(invocation.out_dir)
        if kept is not None and kept != images:
            print(f"  note: pixcrawler manifest says {kept} kept, {images} image files on disk")
    # The /__stats request that `after` made is not the tool's.
    requests = after["requests"] - before["requests"] - 1
    return Run(invocation.tool, images, requests, cost, log)


def check(run: Run, n: int, min_fraction: float) -> str | None:
    """Why ``run`` does not count as a success, or None."""
    if run.cost.exit_code != 0:
        return f"exited with {run.cost.exit_code}; see {run.log}"
    if run.images < min_fraction * n:
        return f"wrote only {run.images} of {n} images; see {run.log}"
    return None


def print_table(best: dict[str, Run], limits: Concurrency) -> None:
    print()
    print(f"concurrency {limits.total} in total (img2dataset: {limits.processes} processes")
    print(f"x {limits.threads_per_process} threads; pixcrawler: max/per-host {limits.total})")
    header = ("tool", "images", "seconds", "images/s", "cpu s", "max RSS MB", "tree RSS MB", "reqs")
    print("{:<12} {:>7} {:>8} {:>9} {:>7} {:>11} {:>12} {:>6}".format(*header))
    for run in best.values():
        cost = run.cost
        print(
            f"{run.tool:<12} {run.images:>7} {cost.seconds:>8.2f} {run.images_per_second:>9.1f} "
            f"{cost.cpu_seconds:>7.2f} {cost.max_rss_mb:>11.0f} {cost.peak_tree_rss_mb:>12.0f} "
            f"{run.requests:>6}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limits = Concurrency(total=args.concurrency, processes=min(args.processes, args.concurrency))
    if "img2dataset" in args.tools:
        print(f"img2dataset {ensure_img2dataset()} in {WORK_DIR / 'venv-img2dataset'}")
    if "pixcrawler" in args.tools and not pixcrawler_ready(args.pixcrawler_bin):
        print(f"error: `{args.pixcrawler_bin} build --help` does not work", file=sys.stderr)
        return 1
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=WORK_DIR))
    best: dict[str, Run] = {}
    failures: list[str] = []
    print(f"generating and serving {args.n} images ...")
    with serve_in_subprocess(args.n) as server:
        urls = scratch / "urls.txt"
        urls.write_text("\n".join(server.image_urls(args.n)) + "\n", encoding="utf-8")
        print(f"serving at {server.base_url}; output under {scratch}")
        for attempt in range(1, args.repeat + 1):
            for tool in args.tools:
                out_dir = scratch / f"{tool}-{attempt}"
                invocation = invocation_for(tool, args, urls, out_dir, limits)
                run = run_once(invocation, server, scratch / f"{tool}-{attempt}.log")
                print(
                    f"  {tool} run {attempt}: {run.images} images in {run.cost.seconds:.2f} s "
                    f"({run.images_per_second:.1f}/s)"
                )
                problem = check(run, args.n, args.min_fraction)
                if problem:
                    failures.append(f"{tool} run {attempt} {problem}")
                elif tool not in best or run.cost.seconds < best[tool].cost.seconds:
                    best[tool] = run
                if not args.keep:
                    shutil.rmtree(out_dir, ignore_errors=True)
                    shutil.rmtree(out_dir.parent / f"{out_dir.name}-data", ignore_errors=True)
    print_table(best, limits)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if failures:
        return 1
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(best) == len(TOOLS):
        ratio = best["pixcrawler"].images_per_second / best["img2dataset"].images_per_second
        print(f"ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
