"""Candidates for one keyword class: variations × engines × pages, until the class is full."""

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass

from pixcrawler.builder.dataset import ClassQuota
from pixcrawler.builder.discovery._pages import Discovery
from pixcrawler.builder.discovery.engines import Engine, SearchQuery, get_engine
from pixcrawler.builder.discovery.keywords import ExpansionHook, variations
from pixcrawler.errors import PixCrawlerError
from pixcrawler.licenses import matches
from pixcrawler.records import Candidate, QueryReport
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: An engine failing this many queries in a row is dropped for the class.
MAX_ENGINE_FAILURES = 2


@dataclass(frozen=True, slots=True)
class KeywordPlan:
    """A keyword build: one class per keyword, filled from these engines."""

    keywords: tuple[str, ...]
    engines: tuple[str, ...]
    licenses: tuple[str, ...] = ()
    seed: int = 0
    max_variations: int | None = None
    expand: ExpansionHook | None = None
    #: Each class's queries, fixed in advance (a distributed job's plan step computes them once,
    #: so every delivery of a chunk asks the same ones); a class not in it gets its variations.
    queries: Mapping[str, tuple[str, ...]] | None = None

    def queries_for(self, label: str) -> Iterable[str]:
        """The queries that fill class ``label``, in order."""
        if self.queries is not None and label in self.queries:
            return self.queries[label]
        return variations(label, seed=self.seed, limit=self.max_variations, expand=self.expand)


async def keyword_candidates(
    label: str,
    plan: KeywordPlan,
    discovery: Discovery,
    quota: ClassQuota,
    on_query: Callable[[QueryReport], None],
) -> AsyncIterator[Candidate]:
    """Yield candidates for ``label`` until the class is full or every source is exhausted.

    Each candidate is handed over only when the class still needs one (kept + pending < N), so
    a query that brings enough results is the last one asked.

    Variations are the outer loop and engines the inner one, so a class is fed by every engine
    early on. An engine failing :data:`MAX_ENGINE_FAILURES` queries in a row is dropped for this
    class with a logged reason; the others go on.
    """
    engines = _usable_engines(plan, label)
    failures = dict.fromkeys(plan.engines, 0)
    for text in plan.queries_for(label):
        for engine in [e for e in engines if failures[e.name] < MAX_ENGINE_FAILURES]:
            if not await quota.wait_for_need(label):
                return
            report = QueryReport(label, text, engine.name)
            query = SearchQuery(text, label, plan.licenses)
            try:
                async for candidate in _query(engine, query, discovery, report, quota):
                    yield candidate
            except PixCrawlerError as error:
                report.error = error.reason
            failures[engine.name] = failures[engine.name] + 1 if report.error else 0
            if report.error:
                _log_failure(report, failures[engine.name])
            on_query(report)
    missing = await quota.shortfall(label)
    if missing:
        logger.bind(operation="discovery", label=label, missing=missing).warning(
            "class short: every engine and variation exhausted"
        )


async def _query(
    engine: Engine,
    query: SearchQuery,
    discovery: Discovery,
    report: QueryReport,
    quota: ClassQuota,
) -> AsyncIterator[Candidate]:
    note = None
    async for page in discovery.pages(engine, query):
        report.pages += 1
        if page.note and not page.candidates:
            note = page.note  # "blocked: …", "vqd token not found", "parser found nothing"
        for candidate in page.candidates:
            # The licence a result claims is checked again here, whatever the engine filtered.
            if query.licenses and not matches(candidate.license, query.licenses):
                continue
            if not await quota.wait_for_need(query.label):
                return
            report.candidates += 1
            yield candidate
    # A query that found candidates did not fail, whatever its last page said: only an empty
    # query counts toward dropping the engine for the class.
    if report.candidates == 0:
        report.error = note or "no results"


def _usable_engines(plan: KeywordPlan, label: str) -> list[Engine]:
    """The plan's engines; under a licence filter, only those that report licences."""
    engines = [get_engine(name) for name in plan.engines]
    if not plan.licenses:
        return engines
    for engine in engines:
        if not engine.supports_licenses:
            logger.bind(operation="discovery", engine=engine.name, label=label).warning(
                "engine skipped: it cannot tell an image's licence, and --license was given"
            )
    return [engine for engine in engines if engine.supports_licenses]


def _log_failure(report: QueryReport, in_a_row: int) -> None:
    dropped = in_a_row >= MAX_ENGINE_FAILURES
    logger.bind(
        operation="discovery", engine=report.engine, label=report.label, query=report.query,
        error_type="PixCrawlerError", reason=report.error, dropped=dropped,
    ).warning("engine dropped for this class" if dropped else "engine query failed")  # fmt: skip
