"""Peak resident memory of a process tree, read from /proc while it runs."""

import threading
from pathlib import Path
from types import TracebackType


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    found: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields follow the last ")".
        found[int(stat.parent.name)] = int(text[text.rindex(")") + 2 :].split()[1])
    return found


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    pending, seen = [pid], []
    while pending:
        current = pending.pop()
        seen.append(current)
        pending += children.get(current, [])
    return seen


def high_water_kb(pid: int) -> int:
    """VmHWM (peak RSS, kB) of one process, or 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss:
    """Polls the VmHWM of ``pid`` and every descendant until stopped; ``peak_mb`` is the largest.

    VmHWM is each process's own high-water mark, so a poll between two growth spurts loses
    nothing: only a process that is born and dies between two polls goes unseen.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb.values(), default=0) / 1024

    def _poll(self) -> None:
        while not self._stop.is_set():
            for pid in _tree(self.pid):
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), high_water_kb(pid))
            self._stop.wait(self.interval)
