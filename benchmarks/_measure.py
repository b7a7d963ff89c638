"""Run a command and measure it: wall clock, CPU time and peak memory of its whole process tree."""

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measurement:
    """What one run of a command cost."""

    exit_code: int
    seconds: float
    cpu_seconds: float
    #: Largest resident set of any single process in the tree (kernel-accounted, exact).
    max_rss_mb: float
    #: Largest sum of resident sets over the tree, sampled every ``_SAMPLE_EVERY`` seconds.
    peak_tree_rss_mb: float


_SAMPLE_EVERY = 0.1


def run_measured(command: list[str], env: dict[str, str], log_path: Path) -> Measurement:
    """Run ``command`` with ``env`` added to ours, its output going to ``log_path``.

    The child is reaped with ``os.wait4``, whose rusage covers the child and every descendant it
    reaped, so CPU time includes worker processes; ``max_rss_mb`` is the largest of them.
    """
    full_env = {**os.environ, **env}
    with log_path.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        sampler = _TreeRssSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        exit_code=process.returncode,
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        peak_tree_rss_mb=sampler.peak_bytes / 2**20,
    )


class _TreeRssSampler(threading.Thread):
    """Polls /proc for the summed RSS of a process and all its descendants; keeps the peak."""

    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self._root = root_pid
        self._stopped = threading.Event()
        self.peak_bytes = 0

    def run(self) -> None:
        while not self._stopped.wait(_SAMPLE_EVERY):
            self.peak_bytes = max(self.peak_bytes, sum(map(_rss_bytes, _tree(self._root))))

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, found through every thread's ``children`` file."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{task}/children").read_text()
                pending.extend(int(child) for child in children.split())
        except OSError:
            continue  # it exited between two reads
    return found


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0
