"""The search engines PixCrawler can crawl, by name, and the default mix.

Each engine is a stateless object following :class:`~pixcrawler.builder.discovery.engines.Engine`:
it builds requests and parses responses; ``builder/discovery/_pages.py`` does the fetching.
"""

from pixcrawler.builder.discovery.engines._base import Engine, Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines.baidu import BaiduEngine
from pixcrawler.builder.discovery.engines.bing import BingEngine
from pixcrawler.builder.discovery.engines.duckduckgo import DuckDuckGoEngine
from pixcrawler.builder.discovery.engines.google import GoogleEngine
from pixcrawler.builder.discovery.engines.openverse import OpenverseEngine
from pixcrawler.builder.discovery.engines.wikimedia import WikimediaEngine

_ALL: tuple[Engine, ...] = (
    OpenverseEngine(),
    WikimediaEngine(),
    BingEngine(),
    DuckDuckGoEngine(),
    GoogleEngine(),
    BaiduEngine(),
)
#: Every engine by name.
ENGINES: dict[str, Engine] = {engine.name: engine for engine in _ALL}
#: Licence-aware sources first, then the general web for volume.
DEFAULT_ENGINES: tuple[str, ...] = ("openverse", "wikimedia", "bing", "duckduckgo")


def get_engine(name: str) -> Engine:
    """The engine called ``name``.

    Raises:
        KeyError: no engine has that name; the message lists the known ones.
    """
    try:
        return ENGINES[name]
    except KeyError:
        raise KeyError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}") from None


def parse_engine_list(text: str) -> tuple[str, ...]:
    """``"bing, DuckDuckGo,bing"`` -> ``("bing", "duckduckgo")``: trimmed, lower-cased, unique.

    Raises:
        ValueError: a name is unknown (all unknown names are given) or the list is empty.
    """
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [name for name in names if name not in ENGINES]
    if unknown:
        raise ValueError(f"unknown engine {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    if not names:
        raise ValueError(f"no engine given; known: {', '.join(ENGINES)}")
    return names


__all__ = [
    "DEFAULT_ENGINES",
    "ENGINES",
    "BaiduEngine",
    "BingEngine",
    "DuckDuckGoEngine",
    "Engine",
    "GoogleEngine",
    "OpenverseEngine",
    "Page",
    "PageRequest",
    "SearchQuery",
    "WikimediaEngine",
    "get_engine",
    "parse_engine_list",
]
