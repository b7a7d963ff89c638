"""Per-class quota: kept + in-flight images never exceed ``--per-class``."""

import asyncio
from collections import Counter


class ClassQuota:
    """Caps kept + in-flight images per class, so a full class stops costing requests."""

    def __init__(self, kept: Counter[str], limit: int | None) -> None:
        self.kept, self.limit = kept, limit
        self.in_flight: Counter[str] = Counter()
        self.pending: Counter[str] = Counter()  # handed to the pipeline, outcome not yet known
        self._changed = asyncio.Condition()

    def full(self, label: str) -> bool:
        """Whether ``label`` already has its ``limit`` of kept images."""
        return self.limit is not None and self.kept[label] >= self.limit

    async def reserve(self, label: str) -> bool:
        """Wait for a free slot in ``label``; False once the class is full."""
        if self.limit is None:
            return True
        limit = self.limit
        async with self._changed:
            await self._changed.wait_for(
                lambda: (
                    self.kept[label] >= limit or self.kept[label] + self.in_flight[label] < limit
                )
            )
            if self.kept[label] >= limit:
                return False
            self.in_flight[label] += 1
            return True

    async def release(self, label: str) -> None:
        """Free the slot taken by :meth:`reserve` (the image was kept or not)."""
        if self.limit is None:
            return
        async with self._changed:
            self.in_flight[label] -= 1
            self._changed.notify_all()

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
                lambda: self.kept[label] >= limit or self.kept[label] + self.pending[label] < limit
            )
            return self.kept[label] < limit

    async def shortfall(self, label: str) -> int:
        """Wait for ``label``'s pending candidates to settle; how many images it still lacks."""
        if self.limit is None:
            return 0
        async with self._changed:
            await self._changed.wait_for(lambda: self.pending[label] == 0)
            return max(0, self.limit - self.kept[label])
