"""Where candidates come from: search engines page by page, keyword classes, URL lists."""

from pixcrawler.builder.discovery._keyword_source import KeywordPlan, keyword_candidates
from pixcrawler.builder.discovery._pages import Discovery
from pixcrawler.builder.discovery._url_lists import SourceError, count_candidates, read_url_list

__all__ = [
    "Discovery",
    "KeywordPlan",
    "SourceError",
    "count_candidates",
    "keyword_candidates",
    "read_url_list",
]
