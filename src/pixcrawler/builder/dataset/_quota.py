"""Per-class quota: kept + in-flight images never exceed ``--per-class``.

A build alone keeps the count in memory. A distributed job's chunks share each class's quota
through the job database: a :class:`SharedQuota` is asked for a slot before each download, so
the chunks together fetch about what the class may keep.
"""

import asyncio
from collections import Counter
from typing import Protocol

#: The reason of a candidate not tried because its class was full (retryable: a rerun may).
QUOTA_REASON = "per-class limit reached"
#: Seconds between asking a busy shared quota again (its slots are held by other downloads).
SHARED_POLL_SECONDS = 0.2


class SharedQuota(Protocol):
    """A class quota shared with other builds (a job's other chunks), asked from threads."""

    def take(self, label: str) -> bool | None:
        """Take a slot: True if taken, False if the class is full, None if every free slot
        is held by a download in flight elsewhere (ask again later)."""
        ...

    def give_back(self, label: str, *, kept: bool) -> None:
        """The slot's image was kept (the slot stays taken) or not (the slot is free again)."""
        ...


class ClassQuota:
    """Caps kept + in-flight images per class, so a full class stops costing requests."""

    def __init__(
        self,
        kept: Counter[str],
        limit: int | None,
        shared: SharedQuota | None = None,
        shared_wait: float = 120.0,
    ) -> None:
        self.kept, self.limit = kept, limit
        self.shared, self.shared_wait = shared, shared_wait
        self.in_flight: Counter[str] = Counter()
        self.pending: Counter[str] = Counter()  # handed to the pipeline, outcome not yet known
        self.closed: set[str] = set()  # full by the shared quota's count
        self._changed = asyncio.Condition()

    def full(self, label: str) -> bool:
        """Whether ``label`` already has its ``limit`` of kept images."""
        return self.limit is not None and (self.kept[label] >= self.limit or label in self.closed)

    async def reserve(self, label: str) -> bool:
        """Wait for a free slot in ``label``; False once the class is full."""
        if self.limit is None:
            return True
        limit = self.limit
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.full(label) or self.kept[label] + self.in_flight[label] < limit
            )
            if self.full(label):
                return False
            self.in_flight[label] += 1
        if self.shared is None or await self._take_shared(self.shared, label):
            return True
        async with self._changed:
            self.in_flight[label] -= 1
            self.closed.add(label)
            self._changed.notify_all()
        return False

    async def release(self, label: str, *, kept: bool = False) -> None:
        """Free the slot taken by :meth:`reserve`; ``kept``: its image was kept."""
        if self.limit is None:
            return
        async with self._changed:
            self.in_flight[label] -= 1
            self._changed.notify_all()
        if self.shared is not None:
            await asyncio.to_thread(self.shared.give_back, label, kept=kept)

    async def _take_shared(self, shared: SharedQuota, label: str) -> bool:
        # A busy class may free a slot (another chunk's download failing), so it is asked again
        # for a while before this build calls it full.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shared_wait
        while (answer := await asyncio.to_thread(shared.take, label)) is None:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(SHARED_POLL_SECONDS)
        return answer

    def claim(self, label: str) -> None:
        """A candidate of ``label`` entered the pipeline."""
        self.pending[label] += 1

    async def settle(self, label: str) -> None:
        """A candidate of ``label`` has its outcome (kept or not)."""
        async with self._changed:
            self.pending[label] -= 1
            self._changed.notify_all()

    async def wait_for_need(self, label: str) -> bool:
        """Wait until ``label`` needs another candidate; False once the class is full.

        Discovery asks before handing over each candidate, so a class never queues more than
        it can keep: a result is fetched only when the ones ahead of it could still fall short.
        """
        if self.limit is None:
            return True
        limit = self.limit
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.full(label) or self.kept[label] + self.pending[label] < limit
            )
            return not self.full(label)

    async def shortfall(self, label: str) -> int:
        """Wait for ``label``'s pending candidates to settle; how many images it still lacks."""
        if self.limit is None:
            return 0
        async with self._changed:
            await self._changed.wait_for(lambda: self.pending[label] == 0)
            return 0 if label in self.closed else max(0, self.limit - self.kept[label])
