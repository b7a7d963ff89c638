"""Where candidates come from: search engines page by page, keyword classes, URL lists."""

from pixcrawler.builder.discovery._keyword_source import KeywordPlan, keyword_candidates
from pixcrawler.builder.discovery._pages import Discovery
from pixcrawler.builder.discovery._url_lists import SourceError, count_candidates, read_url_list
from pixcrawler.builder.discovery.engine_check import EngineCheck, check_engines

__all__ = [
    "Discovery",
    "EngineCheck",
    "KeywordPlan",
    "SourceError",
    "check_engines",
    "count_candidates",
    "keyword_candidates",
    "read_url_list",
]
