"""API latency: job status and image list under concurrent clients, on loopback.

Run from the repository root:  .venv/bin/python benchmarks/api.py [--clients 50] [--requests 40]

``pixcrawler serve --no-worker`` runs as its own process (uvicorn, one event loop) on a free
loopback port over a fresh data directory (SQLite by default; ``--database-url`` for
PostgreSQL). Before it starts, the benchmark writes one user, its API key and a completed job of
``--images`` kept images straight into the job database. Then ``--clients`` coroutines, each
with its own ``httpx.AsyncClient`` (its own keep-alive connection), send ``--requests``
requests each to one route at a time, all at once; every request's latency is measured from
send to the last byte read. The rate limit is lifted for the run (it would answer 429 long
before 50 clients are done); nothing else differs from the defaults.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.azurite import free_port  # noqa: E402 - the tests' helper, after the path

ROUTES = {
    "job status": "/api/v1/jobs/{job}",
    "image list": "/api/v1/jobs/{job}/images?limit={page}",
}


@dataclass(frozen=True)
class Latencies:
    """One route's results: seconds per request, failures, and the wall clock of the round."""

    route: str
    seconds: list[float]
    failures: int
    wall: float

    def percentile(self, share: float) -> float:
        """The latency below which ``share`` of the requests fell, in milliseconds."""
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def row(self) -> str:
        mean = statistics.fmean(self.seconds) * 1000
        rate = len(self.seconds) / self.wall
        return (f"| {self.route} | {len(self.seconds)} | {self.failures} | "
                f"{self.percentile(0.50):.1f} | {self.percentile(0.99):.1f} | {mean:.1f} | "
                f"{rate:.0f} |")  # fmt: skip


def seed(env: dict[str, str], images: int) -> tuple[str, str]:
    """A user, its API key and a completed job of ``images`` kept rows; (key, job id)."""
    os.environ.update(env)
    from pixcrawler.backend.db import Job, User, session_scope, utcnow
    from pixcrawler.backend.distributed import make_context
    from pixcrawler.backend.services import issue_key
    from pixcrawler.config import get_settings

    context = make_context(get_settings())
    with session_scope(context.sessions) as session:
        user = User(email="bench@example.org", name="bench")
        session.add(user)
        session.flush()
        _, key = issue_key(session, user_id=user.id, name="bench", scopes="read")
        spec = {"kind": "keywords", "keywords": ["cat"], "engines": ["bing"], "per_class": images}
        job = Job(user_id=user.id, kind="keywords", spec=spec, status="completed", kept=images,
                  chunks_total=1, chunks_done=1, finished_at=utcnow())  # fmt: skip
        session.add(job)
        session.flush()
        session.add_all(_image(job.id, index) for index in range(images))
        return key, job.id


def _image(job_id: str, index: int) -> object:
    from pixcrawler.backend.db import Image

    digest = f"{index:064x}"
    return Image(job_id=job_id, url=f"http://example.test/{index}.jpg", label="cat",
                 status="kept", reason="", sha256=digest, phash=f"{index:016x}",
                 file_key=f"jobs/{job_id}/dataset/images/cat/{digest[:20]}.jpg",
                 width=256, height=256, format="JPEG", source="bing")  # fmt: skip


def start_service(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``pixcrawler serve --no-worker`` on ``port``; returns once it answers ``/readyz``."""
    command = [sys.executable, "-m", "pixcrawler", "serve", "--no-worker", "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)  # fmt: skip
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"serve exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"serve did not get ready:\n{log.read_text()[-2000:]}")


async def measure(base: str, key: str, route: str, path: str, clients: int,
                  requests: int) -> Latencies:  # fmt: skip
    """``clients`` concurrent clients, ``requests`` each, on ``path``."""
    headers = {"Authorization": f"Bearer {key}"}
    seconds: list[float] = []
    failures = 0

    async def one_client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            await client.get(path)  # opens the connection; not counted
            for _ in range(requests):
                started = time.perf_counter()
                answer = await client.get(path)
                elapsed = time.perf_counter() - started
                if answer.status_code == 200:
                    seconds.append(elapsed)
                else:
                    failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return Latencies(route, seconds, failures, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="requests per client per route")
    parser.add_argument("--images", type=int, default=1000, help="kept images in the job")
    parser.add_argument("--page", type=int, default=100, help="images per page of the list")
    parser.add_argument("--database-url", default="", help="default: SQLite in the data dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pixcrawler-api-bench-") as folder:
        env = {
            "PIXCRAWLER_DATA_DIR": folder,
            "PIXCRAWLER_RATE_LIMIT_PER_MINUTE": "1000000000",
            "PIXCRAWLER_DATABASE_URL": args.database_url,
            "PIXCRAWLER_LOG_LEVEL": "WARNING",
        }
        key, job_id = seed(env, args.images)
        port = free_port()
        service = start_service(env, port, Path(folder) / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            results = []
            for route, template in ROUTES.items():
                path = template.format(job=job_id, page=args.page)
                run = measure(base, key, route, path, args.clients, args.requests)
                results.append(asyncio.run(run))
        finally:
            service.terminate()
            service.wait(timeout=30)
    database = args.database_url or "SQLite"
    print(f"{args.clients} clients × {args.requests} requests per route; job of {args.images} "
          f"images, list pages of {args.page}; database: {database}")  # fmt: skip
    print("| route | requests | failed | p50 ms | p99 ms | mean ms | requests/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()
