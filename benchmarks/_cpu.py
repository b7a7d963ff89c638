"""CPU time of whole process trees, read from /proc: who used the cores during a run."""

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

# _measure's tree walk (children of every thread), shared rather than copied.
from _measure import _tree as process_tree

_TICKS = os.sysconf("SC_CLK_TCK")
#: Servers a distributed run leans on, found by their process name.
SERVICE_NAMES = {"redis": "redis-server", "postgres": "postgres"}


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """User + system CPU of ``roots``, their live descendants and every child they reaped.

    Reaped children count through their parent's ``cutime``/``cstime``, so a PostgreSQL
    backend that served one connection and exited is still in its postmaster's total.
    """
    return sum(_cpu_of(pid) for root in roots for pid in process_tree(root))


def service_roots() -> dict[str, list[int]]:
    """The top process of each server in ``SERVICE_NAMES`` (empty lists if not visible)."""
    names = {pid: _comm(pid) for pid in _all_pids()}
    roots: dict[str, list[int]] = {label: [] for label in SERVICE_NAMES}
    for pid, name in names.items():
        for label, wanted in SERVICE_NAMES.items():
            if name == wanted and names.get(_parent(pid)) != wanted:
                roots[label].append(pid)
    return roots


def cpu_snapshot(groups: Mapping[str, Iterable[int]]) -> dict[str, float]:
    """CPU seconds so far of each named group of process trees."""
    return {label: tree_cpu_seconds(roots) for label, roots in groups.items()}


def cpu_delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds each group used between two snapshots."""
    return {label: max(0.0, after[label] - before.get(label, 0.0)) for label in after}


def _stat_fields(pid: int) -> list[str]:
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rpartition(")")[2].split()


def _cpu_of(pid: int) -> float:
    try:
        fields = _stat_fields(pid)
        # utime, stime, cutime, cstime: fields 14-17 of stat(5), 11-14 after the name.
        return sum(int(value) for value in fields[11:15]) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0.0  # it exited between two reads


def _parent(pid: int) -> int:
    try:
        return int(_stat_fields(pid)[1])
    except (OSError, IndexError, ValueError):
        return 0


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
