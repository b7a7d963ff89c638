"""Per-class quota: kept + in-flight images never exceed ``--per-class``."""

import asyncio
from collections import Counter


class ClassQuota:
    """Caps kept + in-flight images per class, so a full class stops costing requests."""

    def __init__(self, kept: Counter[str], limit: int | None) -> None:
        self.kept, self.limit = kept, limit
        self.in_flight: Counter[str] = Counter()
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
