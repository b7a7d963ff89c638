"""Near-duplicate index benchmark: multi-index lookup against a brute-force scan, 10k to 1M hashes.

Run from the repository root:  .venv/bin/python benchmarks/neardup_index.py
For each size N it fills a ``HashIndex`` with N random 64-bit hashes (seeded) and times the
inserts, then times radius queries: half are random hashes (almost never near anything: the
common case, a new image), half are stored hashes with ``--radius`` random bits flipped (a
near duplicate, always found). The peer is ``brute_force_within``, one vectorised numpy XOR and
popcount over all N hashes per query, which is what the index replaces; it runs at the sizes in
``--brute-sizes``. Every index answer is checked against brute force on a sample of queries.
Times are CPU seconds of this one thread, best of ``--repeat`` passes over the queries.
"""

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from pixcrawler.validator.hash_index import HashArray, HashIndex, brute_force_within

SEED = 14


def random_hashes(count: int, rng: np.random.Generator) -> HashArray:
    hashes: HashArray = rng.integers(0, 2**64, size=count, dtype=np.uint64)
    return hashes


def queries(hashes: HashArray, count: int, radius: int, rng: np.random.Generator) -> list[int]:
    """Half random hashes, half stored ones with ``radius`` bits flipped, interleaved."""
    found = []
    for stored in rng.choice(hashes, size=count // 2):
        flips = rng.choice(64, size=radius, replace=False)
        found.append(int(stored) ^ sum(1 << int(bit) for bit in flips))
    fresh = [int(value) for value in random_hashes(count - len(found), rng)]
    return [value for pair in zip(found, fresh, strict=False) for value in pair]


def cpu_seconds(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def filled(hashes: HashArray) -> tuple[HashIndex, float]:
    """An index holding ``hashes``, and the CPU seconds the inserts took."""
    index = HashIndex()
    values = [int(value) for value in hashes]  # the caller's ints, as a build passes them
    spent = cpu_seconds(lambda: [index.add(value) for value in values])
    return index, spent


def best_per_query(run: Callable[[int], object], probes: list[int], repeat: int) -> float:
    """The fastest of ``repeat`` passes over ``probes``, in seconds per query."""
    passes = [cpu_seconds(lambda: [run(probe) for probe in probes]) for _ in range(repeat)]
    return min(passes) / len(probes)


def check(index: HashIndex, hashes: HashArray, probes: list[int], radius: int) -> None:
    """The index returns exactly what brute force returns, on up to 200 probes."""
    for probe in probes[:200]:
        ids, distances = index.within(probe, radius)
        expected_ids, expected_distances = brute_force_within(hashes, probe, radius)
        if not (
            np.array_equal(ids, expected_ids) and np.array_equal(distances, expected_distances)
        ):
            raise SystemExit(f"index and brute force disagree on query {probe:#018x}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="index sizes")
    parser.add_argument("--brute-sizes", default="10000,100000", help="sizes brute force runs at")
    parser.add_argument("--radius", type=int, default=6, help="Hamming radius (default level)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    brute_sizes = {int(size) for size in args.brute_sizes.split(",") if size}
    rng = np.random.default_rng(SEED)
    print(f"radius {args.radius}, {args.queries} queries (half near a stored hash), CPU us")
    print(f"{'hashes':>9} {'insert us':>10} {'query us':>9} {'brute us':>9} {'ratio':>7}")
    rows: list[tuple[int, float, float, float | None]] = []
    for size in sizes:
        hashes = random_hashes(size, rng)
        index, insert_seconds = filled(hashes)
        probes = queries(hashes, args.queries, args.radius, rng)
        check(index, hashes, probes, args.radius)
        query = best_per_query(partial(index.within, radius=args.radius), probes, args.repeat)
        brute = None
        if size in brute_sizes:
            scan = partial(brute_force_within, hashes, radius=args.radius)
            brute = best_per_query(scan, probes, args.repeat)
        rows.append((size, insert_seconds / size, query, brute))
        ratio = f"{brute / query:7.1f}" if brute else f"{'-':>7}"
        brute_text = f"{brute * 1e6:9.1f}" if brute else f"{'-':>9}"
        print(
            f"{size:9} {insert_seconds / size * 1e6:10.2f} {query * 1e6:9.1f} {brute_text} {ratio}"
        )
    first, last = rows[0], rows[-1]
    growth = last[0] / first[0]
    print(
        f"growth from {first[0]} to {last[0]} hashes (x{growth:.0f}): "
        f"insert x{last[1] / first[1]:.2f} per hash, query x{last[2] / first[2]:.2f} per query"
    )
    compared = [row for row in rows if row[3] is not None]
    if compared:
        size, _, query, brute = compared[-1]
        assert brute is not None
        print(f"ratio: {brute / query:.2f}  (brute force / index, per query, at {size} hashes)")


if __name__ == "__main__":
    main()
