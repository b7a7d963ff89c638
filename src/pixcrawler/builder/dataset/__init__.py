"""A dataset folder's state, exports, label files, statistics, class slugs."""

from pixcrawler.builder.dataset._exports import export_dataset
from pixcrawler.builder.dataset._funnel import (
    EngineQueries,
    Funnel,
    engine_queries,
    funnel_by_class,
    funnel_by_source,
    top_reasons,
)
from pixcrawler.builder.dataset._labels import LABEL_FORMATS
from pixcrawler.builder.dataset._quota import QUOTA_REASON, ClassQuota, SharedQuota

__all__ = [
    "LABEL_FORMATS",
    "QUOTA_REASON",
    "ClassQuota",
    "EngineQueries",
    "Funnel",
    "SharedQuota",
    "engine_queries",
    "export_dataset",
    "funnel_by_class",
    "funnel_by_source",
    "top_reasons",
]
