"""What the retry layer and JSON logging cost on the ingest workload (the seed's success metrics).

Run from the repository root:  .venv/bin/python benchmarks/overhead.py [--n 2000] [--rounds 5]

Three variants of the same build (``pixcrawler build`` of ``--n`` loopback URLs: download,
validate, write; fetch processes as by default) run in interleaved rounds:

- ``baseline``: as shipped: the retry policy on every request, JSON logs at INFO to a file;
- ``retry off``: the retry decorators replaced by pass-throughs (one attempt, no policy);
- ``logging off``: ``configure_logging`` never called (loguru disabled, no sink).

Each overhead is the median over rounds of (baseline − variant) / variant, on the CPU seconds
of the whole process tree (the cost; wall clock is printed too, but on a shared machine it
measures the neighbours). No request fails, so this is the price of the success path. Prints
``retry overhead: X.X %`` and ``logging overhead: Y.Y %``; exits 1 above 5 % and 1 %.
"""

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from _loopback import serve_in_subprocess
from _measure import Measurement, run_measured
from _peers import REPO_ROOT, count_images

HOOK = Path(__file__).resolve().parent / "_overhead_hook"
VARIANTS = {
    "baseline": {},
    "retry off": {"PIXCRAWLER_BENCH_RETRY": "off"},
    "logging off": {"PIXCRAWLER_BENCH_LOGGING": "off"},
}
LIMITS = {"retry": 5.0, "logging": 1.0}  # per cent, the seed's success metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="images per build")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    args = parser.parse_args(argv)
    if args.n < 1 or args.rounds < 1:
        parser.error("need --n >= 1 and --rounds >= 1")
    return args


def build_once(urls: Path, out: Path, extra: dict[str, str], concurrency: int) -> Measurement:
    """One ``pixcrawler build`` of ``urls`` into ``out`` with this checkout's sources."""
    env = {
        **extra,
        "PYTHONPATH": os.pathsep.join([str(HOOK), str(REPO_ROOT / "src")]),
        "PIXCRAWLER_ALLOW_PRIVATE_NETWORK": "1",
        "PIXCRAWLER_MAX_CONCURRENCY": str(concurrency),
        "PIXCRAWLER_PER_HOST_CONCURRENCY": str(concurrency),
        "PIXCRAWLER_DATA_DIR": str(out.parent / f"{out.name}-data"),
    }
    logging = ["--log-format", "json", "--log-level", "INFO"]
    build = ["build", "--source", str(urls), "--label", "bench", "--out", str(out), "-q"]
    command = [sys.executable, "-m", "pixcrawler", *logging, *build]
    cost = run_measured(command, env, out.parent / f"{out.name}.log")  # stderr: the log file
    if cost.exit_code != 0 or count_images(out) != len(urls.read_text().split()):
        raise SystemExit(f"{out.name} failed (exit {cost.exit_code}); see {out.parent}")
    return cost


def overhead(costs: dict[str, list[Measurement]], variant: str, wall: bool = False) -> float:
    """Median over rounds of the baseline's extra cost over ``variant``, in per cent."""

    def value(m: Measurement) -> float:
        return m.seconds if wall else m.cpu_seconds

    ratios = [
        (value(base) - value(other)) / value(other) * 100
        for base, other in zip(costs["baseline"], costs[variant], strict=True)
    ]
    return statistics.median(ratios)


def decorator_cost(calls: int = 20000) -> dict[str, float]:
    """Microseconds per successful call: our decorator, tenacity.retry, and no decorator."""
    sys.path.insert(0, str(REPO_ROOT / "src"))  # this checkout's policy, not an installed one
    from tenacity import retry

    from pixcrawler import retry as policy

    async def ok() -> int:
        return 1

    fields = ("stop", "wait", "retry", "before_sleep", "reraise")
    tenacity_retry = retry(**{name: getattr(policy.NETWORK_POLICY, name) for name in fields})
    variants: dict[str, Callable[[], Awaitable[int]]] = {
        "no decorator": ok, "NETWORK_RETRY": policy.NETWORK_RETRY(ok),
        "tenacity.retry": tenacity_retry(ok),
    }  # fmt: skip

    async def timed(fn: Callable[[], Awaitable[int]]) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await fn()
        return (time.perf_counter() - started) / calls * 1e6

    return {name: asyncio.run(timed(fn)) for name, fn in variants.items()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    costs: dict[str, list[Measurement]] = {name: [] for name in VARIANTS}
    scratch = Path(tempfile.mkdtemp(prefix="pixcrawler-overhead-"))
    try:
        with serve_in_subprocess(args.n) as server:
            urls = scratch / "urls.txt"
            urls.write_text("\n".join(server.image_urls(args.n)) + "\n")
            build_once(urls, scratch / "warmup", {}, args.concurrency)  # page cache, imports
            names = list(VARIANTS)
            for number in range(args.rounds):
                order = names[number % len(names) :] + names[: number % len(names)]
                for name in order:  # rotated, so no variant always runs first
                    out = scratch / f"{name.replace(' ', '-')}-{number}"
                    costs[name].append(build_once(urls, out, VARIANTS[name], args.concurrency))
                line = "  ".join(f"{n} {costs[n][-1].cpu_seconds:.2f}" for n in names)
                print(f"round {number + 1}: cpu s  {line}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name in VARIANTS:
        cpu = statistics.median(m.cpu_seconds for m in costs[name])
        wall = statistics.median(m.seconds for m in costs[name])
        print(f"{name:12} median cpu {cpu:.2f} s, wall {wall:.2f} s ({args.n} images)")
    for name, micros in decorator_cost().items():
        print(f"success path, {name}: {micros:.2f} µs a call")
    retry_pct, logging_pct = overhead(costs, "retry off"), overhead(costs, "logging off")
    print(f"(wall clock: retry {overhead(costs, 'retry off', wall=True):.1f} %, "
          f"logging {overhead(costs, 'logging off', wall=True):.1f} %)")  # fmt: skip
    print(f"retry overhead: {retry_pct:.1f} %")
    print(f"logging overhead: {logging_pct:.1f} %")
    return 0 if retry_pct <= LIMITS["retry"] and logging_pct <= LIMITS["logging"] else 1


if __name__ == "__main__":
    sys.exit(main())
