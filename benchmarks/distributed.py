"""One URL-list job two ways: in-process ``pixcrawler build``, then on two Celery workers.

Run from the repository root:  .venv/bin/python benchmarks/distributed.py [--n 2000]
Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (database ``test``, user
``postgres``). The last line printed is ``ratio: X.XX``: distributed images/s over in-process.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from _cpu import cpu_delta, cpu_snapshot, service_roots
from _loopback import LoopbackServer, serve_in_subprocess
from _measure import Measurement, run_measured
from _peers import (
    IMAGE_SUFFIXES,
    PIXCRAWLER_BIN,
    WORK_DIR,
    Concurrency,
    Invocation,
    default_processes,
    manifest_kept,
    pixcrawler_invocation,
    pixcrawler_ready,
)
from _workers import Worker, job_services, missing_services, running_workers, wait_until_ready
from pixcrawler.backend.distributed.planning import CHUNK_SIZE

MODES = ("in-process", "distributed")
#: Images in the untimed in-process warm-up run.
TINY_IMAGES = 10
#: Warm-up jobs tried until every worker has run a chunk.
WARMUP_ATTEMPTS = 3


@dataclass(frozen=True)
class Run:
    """One timed run of one mode: what it kept, what it cost, and who used the CPU."""

    mode: str
    images: frozenset[str]
    kept: int | None
    requests: int
    cost: Measurement
    cpu: dict[str, float]
    log: Path
    phases: str = ""

    @property
    def images_per_second(self) -> float:
        return len(self.images) / self.cost.seconds if self.cost.seconds > 0 else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="distinct images to ingest")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="total downloads in flight: all in-process, split evenly across the workers",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes, each --concurrency 1"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best of each counts")
    parser.add_argument("--keep", action="store_true", help="keep outputs, logs and storage")
    parser.add_argument("--pixcrawler-bin", type=Path, default=PIXCRAWLER_BIN)
    args = parser.parse_args(argv)
    if args.n <= TINY_IMAGES or args.repeat < 1 or args.workers < 1:
        parser.error(f"need --n > {TINY_IMAGES}, --repeat >= 1 and --workers >= 1")
    if args.concurrency < args.workers:
        parser.error("need --concurrency >= --workers (each worker downloads at least one)")
    return args


def image_paths(out_dir: Path) -> frozenset[str]:
    """Image files under ``out_dir``, relative; names are content hashes, so equal sets match."""
    if not out_dir.exists():
        return frozenset()
    return frozenset(
        path.relative_to(out_dir).as_posix()
        for path in out_dir.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
    )


@dataclass
class Bench:
    """The loopback server, the services, the workers and the scratch folder the runs share."""

    args: argparse.Namespace
    server: LoopbackServer
    services: dict[str, str]
    workers: list[Worker]
    scratch: Path
    failures: list[str] = field(default_factory=list)

    def in_process(self, urls: Path, name: str) -> Run:
        """``pixcrawler build`` with all of ``--concurrency`` in one process."""
        limits = Concurrency(total=self.args.concurrency, processes=1)
        out = self.scratch / name
        invocation = pixcrawler_invocation(urls, out, limits, self.args.pixcrawler_bin)
        return self._timed("in-process", invocation, name)

    def distributed(self, urls: Path, name: str) -> Run:
        """``pixcrawler build --distributed``: submit, follow, copy the dataset out."""
        limits = Concurrency(total=self.args.concurrency, processes=1)
        out = self.scratch / name
        local = pixcrawler_invocation(urls, out, limits, self.args.pixcrawler_bin)
        command = [*local.command[:2], "--distributed", *local.command[2:]]
        env = {**self.services, "PIXCRAWLER_DATA_DIR": str(self.scratch / "cli-data")}
        return self._timed("distributed", Invocation("pixcrawler", command, env, out), name)

    def _timed(self, mode: str, invocation: Invocation, name: str) -> Run:
        groups = {
            "workers": [worker.process.pid for worker in self.workers],
            "loopback": [self.server.process.pid],
            **service_roots(),
        }
        before_requests = self.server.stats()["requests"]
        before_cpu, started = cpu_snapshot(groups), time.time()
        log = self.scratch / f"{name}.log"
        cost = run_measured(invocation.command, invocation.env, log)
        cpu = cpu_delta(before_cpu, cpu_snapshot(groups))
        # The /__stats request that `before_requests` made is counted too; it is not the tool's.
        requests = self.server.stats()["requests"] - before_requests - 1
        out = invocation.out_dir
        run = Run(mode, image_paths(out), manifest_kept(out), requests, cost, cpu, log)
        if mode == "distributed":
            run = replace(run, phases=job_phases(self.workers, started, cost, len(run.images)))
        if cost.exit_code != 0:
            self.failures.append(f"{mode} {name} exited with {cost.exit_code}; see {log}")
        # Outputs stay until the end (the scratch folder goes then): on this machine the first
        # run after deleting thousands of files spent 3-4 s more in the kernel creating its own.
        return run

    def warm_up(self) -> None:
        """Untimed: a tiny in-process run, then jobs until every worker has run a chunk.

        A job of ``CHUNK_SIZE × (workers − 1) + 1`` URLs has one chunk per worker; with one
        task at a time per worker (prefetch 1, acks late) each idle worker takes one. Its URLs
        carry a query string, so they are not the timed run's URLs (the server ignores it).
        """
        tiny = write_urls(self.scratch / "tiny.txt", self.server.image_urls(TINY_IMAGES))
        self._expect_success(self.in_process(tiny, "warmup-in-process"))
        size = CHUNK_SIZE * (len(self.workers) - 1) + 1
        urls = [f"{self.server.base_url}/img/{i % self.args.n}.jpg?warm={i}" for i in range(size)]
        warm = write_urls(self.scratch / "warm.txt", urls)
        for attempt in range(1, WARMUP_ATTEMPTS + 1):
            self._expect_success(self.distributed(warm, f"warmup-distributed-{attempt}"))
            idle = [w.number for w in self.workers if not w.records("chunk done")]
            if not idle:
                print(f"  warm-up: every worker ran a chunk ({attempt} job(s) of {size} URLs)")
                return
        print(f"  note: worker(s) {idle} ran no warm-up chunk; their first chunk pays start-up")

    def _expect_success(self, run: Run) -> None:
        if run.cost.exit_code != 0:
            self.failures.append(f"{run.mode} warm-up exited with {run.cost.exit_code}")

    def measure(self) -> dict[str, Run]:
        """``--repeat`` rounds of both modes on the full list; the fastest good run of each."""
        urls = write_urls(self.scratch / "urls.txt", self.server.image_urls(self.args.n))
        best: dict[str, Run] = {}
        for attempt in range(1, self.args.repeat + 1):
            runs = [self.in_process(urls, f"in-process-{attempt}")]
            runs.append(self.distributed(urls, f"distributed-{attempt}"))
            self._compare(runs, attempt)
            for run in runs:
                print(
                    f"  {run.mode} run {attempt}: {len(run.images)} images in "
                    f"{run.cost.seconds:.2f} s ({run.images_per_second:.1f}/s)"
                )
                fastest = best.get(run.mode, run).cost.seconds >= run.cost.seconds
                if run.cost.exit_code == 0 and fastest:
                    best[run.mode] = run
        return best

    def _compare(self, runs: list[Run], attempt: int) -> None:
        """Both modes must keep the same images, as many as their manifests say."""
        for run in runs:
            if run.kept != len(run.images):
                self.failures.append(
                    f"{run.mode} run {attempt}: manifest says {run.kept} kept, "
                    f"{len(run.images)} image files; see {run.log}"
                )
        local, remote = runs
        if local.images != remote.images:
            self.failures.append(
                f"run {attempt}: in-process kept {len(local.images)} images, distributed "
                f"{len(remote.images)}; {len(local.images ^ remote.images)} differ"
            )


def job_phases(workers: list[Worker], started: float, cost: Measurement, images: int) -> str:
    """Where a distributed run's time went, from the workers' JSON log timestamps."""
    planned = [r["time"]["timestamp"] for w in workers for r in w.records("job planned", started)]
    done = {w.number: [r["time"]["timestamp"] for r in w.records("chunk done", started)]
            for w in workers}  # fmt: skip
    finished = [
        r["time"]["timestamp"] for w in workers for r in w.records("job finalized", started)
    ]
    chunk_ends = [stamp for stamps in done.values() for stamp in stamps]
    if not (planned and chunk_ends and finished):
        return "phases unavailable (no job records in the worker logs)"
    split = ", ".join(f"worker {number}: {len(stamps)}" for number, stamps in done.items())
    plan, last_chunk, final = min(planned), max(chunk_ends), max(finished)
    return (
        f"submit + plan {plan - started:.2f} s | "
        f"{len(chunk_ends)} chunks {last_chunk - plan:.2f} s "
        f"({images / max(last_chunk - plan, 1e-9):.0f} images/s; {split}) | "
        f"finalize {final - last_chunk:.2f} s | "
        f"follow + export {started + cost.seconds - final:.2f} s"
    )


def write_urls(path: Path, urls: list[str]) -> Path:
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return path


COLUMNS = (
    ("mode", 11),
    ("images", 6),
    ("seconds", 7),
    ("images/s", 8),
    ("requests", 8),
    ("cli cpu s", 9),
    ("workers cpu s", 13),
    ("loopback cpu s", 14),
    ("redis cpu s", 11),
    ("postgres cpu s", 14),
    ("cores busy", 10),
)


def table_row(run: Run) -> list[str]:
    """One row of the results table, in the order of ``COLUMNS``."""
    cpu = [run.cost.cpu_seconds, *(run.cpu.get(k, 0.0) for k in ("workers", "loopback"))]
    cpu += [run.cpu.get("redis", 0.0), run.cpu.get("postgres", 0.0)]
    return [
        run.mode,
        str(len(run.images)),
        f"{run.cost.seconds:.2f}",
        f"{run.images_per_second:.1f}",
        str(run.requests),
        *(f"{seconds:.1f}" for seconds in cpu),
        f"{sum(cpu) / run.cost.seconds:.2f}" if run.cost.seconds > 0 else "-",
    ]


def print_table(best: dict[str, Run]) -> None:
    rows = [[name for name, _ in COLUMNS]] + [table_row(best[m]) for m in MODES if m in best]
    print()
    for row in rows:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, (_, width)) in enumerate(zip(row, COLUMNS, strict=True))
        ]
        print(" ".join(cells))
    if "distributed" in best:
        print(f"distributed phases: {best['distributed'].phases}")


def run_benchmark(args: argparse.Namespace, scratch: Path) -> tuple[dict[str, Run], list[str]]:
    """Start the server, services and workers; warm up; measure; stop everything."""
    per_worker = args.concurrency // args.workers
    with (
        serve_in_subprocess(args.n) as server,
        job_services(scratch) as services,
        running_workers(args.workers, per_worker, services, scratch, args.pixcrawler_bin) as pool,
    ):
        ready = wait_until_ready(pool, services["PIXCRAWLER_BROKER_URL"])
        print(f"  {len(pool)} workers answered a ping {ready:.1f} s after start")
        bench = Bench(args, server, services, pool, scratch)
        bench.warm_up()
        return bench.measure(), bench.failures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if missing := missing_services():
        print(f"error: not reachable: {', '.join(missing)}", file=sys.stderr)
        return 1
    if not pixcrawler_ready(args.pixcrawler_bin):
        print(f"error: `{args.pixcrawler_bin} build --help` does not work", file=sys.stderr)
        return 1
    load, cores = os.getloadavg()[0], default_processes()
    if load > cores / 2:
        print(f"note: load average {load:.1f} on {cores} cores; expect noisy timings")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="distributed-", dir=WORK_DIR))
    per_worker = args.concurrency // args.workers
    print(
        f"{args.n} images; concurrency {args.concurrency} in-process, {args.workers} workers x "
        f"{per_worker} distributed ({-(-args.n // CHUNK_SIZE)} chunks of up to {CHUNK_SIZE} URLs); "
        f"output under {scratch}"
    )
    try:
        best, failures = run_benchmark(args, scratch)
    except RuntimeError as exc:
        print(f"FAILED: {exc}\nlogs under {scratch}", file=sys.stderr)
        return 1
    print_table(best)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if failures or len(best) < len(MODES):
        return 1
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    local, remote = best["in-process"], best["distributed"]
    print(f"ratio: {remote.images_per_second / local.images_per_second:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
