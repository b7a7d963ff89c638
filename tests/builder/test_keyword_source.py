"""One keyword class's queries: a page's note fails a query only when it found nothing."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

from pixcrawler.builder.dataset import ClassQuota
from pixcrawler.builder.discovery import KeywordPlan, keyword_candidates
from pixcrawler.builder.discovery.engines import Engine, Page, SearchQuery
from pixcrawler.records import Candidate, QueryReport


class PagedDiscovery:
    """Answers every query with the same pages."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages_given = pages

    async def pages(self, engine: Engine, query: SearchQuery) -> AsyncIterator[Page]:
        for page in self.pages_given:
            yield page


def run(pages: list[Page]) -> list[QueryReport]:
    reports: list[QueryReport] = []
    plan = KeywordPlan(("tabby cat",), ("openverse",), max_variations=1)
    quota = ClassQuota(Counter(), limit=50)

    async def collect() -> None:
        discovery = PagedDiscovery(pages)
        async for _ in keyword_candidates("tabby cat", plan, discovery, quota, reports.append):
            pass

    asyncio.run(collect())
    return reports


def _page(*urls: str, note: str | None = None) -> Page:
    return Page(tuple(Candidate(url, "tabby cat", "openverse") for url in urls), None, note)


def test_a_note_after_results_does_not_fail_the_query() -> None:
    reports = run([_page("http://a/1.jpg", "http://a/2.jpg"), _page(note="parser found nothing")])
    assert [(r.candidates, r.error) for r in reports] == [(2, None)]


def test_a_query_that_found_nothing_fails_with_its_note() -> None:
    reports = run([_page(note="parser found nothing (3 entries without url)")])
    assert [(r.candidates, r.error) for r in reports] == [
        (0, "parser found nothing (3 entries without url)")
    ]


def test_an_empty_query_without_a_note_says_no_results() -> None:
    assert [r.error for r in run([_page()])] == ["no results"]
