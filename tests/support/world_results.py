"""The search world's results: what one result is, and the seeds its picture and paths come from.

Everything here is a pure function of its arguments (engine, query text, index), so a test can
say which results, and which pictures, any engine gives for any query.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One search result of the world: where its picture is served, and from which seed."""

    engine: str
    query: str
    page: int
    index: int  # position in the query's results, over all pages
    url: str
    seed: int
    shared: bool  # the same picture is a result of every engine for this query and index

    @property
    def title(self) -> str:
        return f"{self.query} #{self.index + 1}"

    @property
    def page_url(self) -> str:
        return f"https://www.example.org/{self.engine}/{self.seed:x}"


def query_slug(text: str) -> str:
    """An ASCII path segment for a query: readable words plus a hash, so every query differs."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30].strip("-")
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{words}-{digest}" if words else digest


def seed(*parts: str) -> int:
    """A stable 48-bit number for ``parts``."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:6], "big")


def fraction(*parts: str) -> float:
    """A stable number in [0, 1) for ``parts``."""
    return seed(*parts) / float(1 << 48)
