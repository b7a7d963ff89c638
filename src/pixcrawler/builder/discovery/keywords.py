"""Keyword variations: more queries per class, in a deterministic, seedable order.

A class is named by the keyword as the user gave it; the engines are asked for that keyword and
then for variations ("{kw} photo", "{kw} close-up", ...) until the class is full. An optional
expansion hook (for example an LLM) can add variations; it is off by default and never required.
"""

import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

#: Predefined templates; the bare keyword always comes first.
TEMPLATES: tuple[str, ...] = (
    "{kw}",
    "{kw} photo",
    "{kw} photograph",
    "{kw} close-up",
    "{kw} high resolution",
    "{kw} outdoors",
    "{kw} indoors",
    "{kw} side view",
    "{kw} front view",
    "{kw} in the wild",
    "{kw} portrait",
    "{kw} hd image",
)
MAX_KEYWORD_CHARS = 200

#: Given a keyword and how many variations are wanted, return extra query strings.
ExpansionHook = Callable[[str, int], Sequence[str]]


class KeywordError(ValueError):
    """A keyword that cannot name a class (empty, whitespace, control characters, too long)."""


def normalize_keyword(raw: str) -> str:
    """Return the keyword trimmed and NFC-normalised, or raise :class:`KeywordError`."""
    keyword = unicodedata.normalize("NFC", " ".join(raw.split()))
    if not keyword:
        raise KeywordError("empty keyword")
    if any(unicodedata.category(ch) == "Cc" for ch in keyword):
        raise KeywordError(f"keyword {keyword!r} contains control characters")
    if len(keyword) > MAX_KEYWORD_CHARS:
        raise KeywordError(f"keyword longer than {MAX_KEYWORD_CHARS} characters")
    return keyword


def variations(
    keyword: str,
    *,
    seed: int | None = 0,
    limit: int | None = None,
    expand: ExpansionHook | None = None,
) -> Iterator[str]:
    """Yield distinct queries for ``keyword``: itself first, then shuffled templates.

    Args:
        keyword: the class keyword, already normalised.
        seed: shuffles the templates reproducibly; ``None`` keeps the listed order.
        limit: stop after this many queries.
        expand: optional hook adding variations after the templates; its failures are logged
            and ignored, since expansion is a nicety, never a requirement.
    """
    templates = list(TEMPLATES[1:])
    if seed is not None:
        random.Random(f"{seed}:{keyword}").shuffle(templates)
    queries = [keyword, *(t.format(kw=keyword) for t in templates)]
    if expand is not None:
        queries.extend(_expanded(keyword, expand, len(queries)))
    seen: set[str] = set()
    for query in queries:
        folded = query.casefold()
        if folded in seen:
            continue
        seen.add(folded)
        yield query
        if limit is not None and len(seen) >= limit:
            return


def _expanded(keyword: str, expand: ExpansionHook, count: int) -> list[str]:
    try:
        extra = expand(keyword, count)
    except Exception as exc:  # A hook is user code: it must never stop a build.
        logger.bind(keyword=keyword, error_type=type(exc).__name__).warning(
            "keyword expansion failed; using templates only"
        )
        return []
    cleaned = []
    for raw in extra:
        try:
            cleaned.append(normalize_keyword(str(raw)))
        except KeywordError:
            continue
    return cleaned
