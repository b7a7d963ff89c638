"""html.parser helpers for result pages: a fragment's visible text, the attributes of elements."""

import re
from html.parser import HTMLParser

_SPACE = re.compile(r"\s+")
#: Text pieces kept after a matched element: a caption is a few, a whole page is not needed.
_MAX_FOLLOWING_PARTS = 20


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


class _ElementCollector(HTMLParser):
    def __init__(self, tag: str, class_name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.class_name = class_name
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != self.tag:
            return
        values = {name: value or "" for name, value in attrs}
        if self.class_name in values.get("class", "").split():
            self.found.append(values)

    handle_startendtag = handle_starttag


class _FollowedElementCollector(_ElementCollector):
    """Also keeps the text after each match, up to the next match (a result's caption)."""

    def __init__(self, tag: str, class_name: str) -> None:
        super().__init__(tag, class_name)
        self.texts: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        before = len(self.found)
        super().handle_starttag(tag, attrs)
        if len(self.found) > before:
            self.texts.append([])

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self.texts and len(self.texts[-1]) < _MAX_FOLLOWING_PARTS:
            self.texts[-1].append(data)


def _feed(parser: HTMLParser, document: str) -> None:
    try:
        parser.feed(document)
        parser.close()
    except AssertionError:
        pass  # html.parser gives up on some malformed declarations; keep what it read


def strip_tags(fragment: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    collector = _TextCollector()
    _feed(collector, fragment)
    return _SPACE.sub(" ", "".join(collector.parts)).strip()


def elements_with_class(document: str, tag: str, class_name: str) -> list[dict[str, str]]:
    """The attributes (entities decoded) of every ``tag`` element whose classes include one.

    Robust to attribute order and quoting; a truncated document yields what came before the cut.
    """
    collector = _ElementCollector(tag, class_name)
    _feed(collector, document)
    return collector.found


def elements_with_class_and_text(
    document: str, tag: str, class_name: str
) -> list[tuple[dict[str, str], str]]:
    """Like :func:`elements_with_class`, each with the visible text up to the next match."""
    collector = _FollowedElementCollector(tag, class_name)
    _feed(collector, document)
    texts = [_SPACE.sub(" ", " ".join(parts)).strip() for parts in collector.texts]
    return list(zip(collector.found, texts, strict=True))
