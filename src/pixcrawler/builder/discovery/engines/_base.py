"""The engine contract: a request builder and a pure parser per search engine, one page at a time.

An engine never does I/O. The driver (``builder/discovery/_pages.py``) asks it for the first
:class:`PageRequest`, fetches it through the one retry policy, hands the body to
:meth:`Engine.parse`, and follows ``Page.next`` until it is ``None``. Multi-step protocols
(DuckDuckGo's ``vqd`` token) are pages that yield no candidates and a ``next`` request.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pixcrawler.records import Candidate


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to look for: the text sent to the engine, and the class its results belong to."""

    text: str  # the query as sent, e.g. a keyword variation "tabby cat close-up"
    label: str  # the class name, the keyword as the user gave it
    licenses: tuple[str, ...] = ()  # e.g. ("cc0", "by", "by-sa"); empty means any
    safe_search: bool = True


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One HTTP GET to make. ``state`` is the engine's own bookkeeping, passed back to ``parse``."""

    url: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    expect: str = "text"  # "text" or "json": how the driver decodes the body for parse()
    state: Mapping[str, Any] = field(default_factory=dict)
    #: Appended to the query string as it is, after ``params``: for a value a site sends
    #: unencoded (Bing's ``qft=+filterui:license-L1``), which ``params`` would percent-encode.
    raw_query: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    """What one response held: candidates (maybe none) and the next request, if any."""

    candidates: tuple[Candidate, ...]
    next: PageRequest | None
    note: str | None = None  # e.g. "parser found nothing" for a page that should have results


class Engine(Protocol):
    """A search engine adapter. Implementations are stateless; all state rides in requests."""

    name: ClassVar[str]
    #: Whether results carry a verifiable licence, so ``SearchQuery.licenses`` can be honoured.
    supports_licenses: ClassVar[bool]

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """The first request for ``query`` against ``base_url`` (no trailing slash)."""
        ...

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """Turn a decoded body (str or parsed JSON) into candidates and the next request.

        Never raises on malformed input: returns ``Page((), None, note="...")`` instead.
        """
        ...
