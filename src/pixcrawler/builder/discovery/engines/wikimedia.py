"""Wikimedia Commons: the MediaWiki API searching the File namespace, with licence metadata.

``Candidate.url`` is the 1024-pixel rendition (``thumburl``) when Commons made one, else the
original. ``Candidate.license`` is Commons' own ``LicenseShortName`` (``CC BY-SA 4.0``,
``Public domain``); licence requests are filtered here, by family. ``Candidate.attribution`` is
the credit the author asks for (``extmetadata.Attribution``) when there is one.

Real responses omit fields a request did not ask for (``mime`` among them), so an entry without
``mime`` is typed by its file name; a page that yields nothing says why in its note.
"""

import re
from collections import Counter
from typing import Any, ClassVar

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._html import strip_tags
from pixcrawler.builder.discovery.engines._values import (
    as_dict,
    as_list,
    http_url,
    integer,
    number,
    text,
)
from pixcrawler.licenses import matches
from pixcrawler.records import Candidate

PAGE_SIZE = 50
THUMB_WIDTH = 1024
#: Formats kept as they are; others only through the JPEG/PNG rendition Commons makes of them.
_DIRECT_MIMES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
_RENDERED_MIMES = frozenset({"image/tiff"})
#: The type of an entry without ``mime``, by the original's file extension.
_EXTENSION_MIMES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg", "png": "image/png",
    "gif": "image/gif", "webp": "image/webp", "tif": "image/tiff", "tiff": "image/tiff",
}  # fmt: skip
_METADATA = (
    "LicenseShortName", "LicenseUrl", "Artist", "Attribution", "AttributionRequired",
    "ImageDescription",
)  # fmt: skip
#: Commons' boilerplate for files moved from a Wikipedia: a sentence, not an author's name.
_UPLOADER = re.compile(r"The original uploader was (?P<name>.+?) at (?P<project>[^.()]+)", re.I)
#: Longer descriptions are cut: the manifest is no place for a file page's whole text.
MAX_DESCRIPTION = 500


class WikimediaEngine:
    """Commons file search (``generator=search``), paged by the API's ``continue`` object."""

    name: ClassVar[str] = "wikimedia"
    supports_licenses: ClassVar[bool] = True

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """``GET {base}/w/api.php?action=query&generator=search&gsrnamespace=6&…``."""
        params: dict[str, str | int] = {
            "action": "query",
            "format": "json",
            "generator": "search",
            "gsrnamespace": 6,
            "gsrsearch": f"{query.text} filetype:bitmap",
            "gsrlimit": PAGE_SIZE,
            "prop": "imageinfo",
            "iiprop": "url|size|mime|extmetadata",
            "iiurlwidth": THUMB_WIDTH,
            "iiextmetadatafilter": "|".join(_METADATA),
        }
        headers = {"Accept": "application/json"}
        return PageRequest(f"{base_url}/w/api.php", params, headers, expect="json")

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """Candidates in search order, licence-filtered; next merges ``continue`` into params."""
        data = as_dict(body)
        if data is None:
            return Page((), None, note=f"malformed response: {type(body).__name__}, not an object")
        error = as_dict(data.get("error"))
        if error is not None:
            return Page((), None, note=f"malformed response: api error {text(error, 'code')}")
        if "query" not in data and "batchcomplete" in data:
            return Page((), None)  # Commons found nothing
        pages = (as_dict(data.get("query")) or {}).get("pages")
        if not isinstance(pages, dict | list):
            return Page((), None, note="malformed response: no query.pages")
        # formatversion=1 keys pages by id, formatversion=2 lists them: take either.
        listed = pages.values() if isinstance(pages, dict) else pages
        return _page(
            sorted(filter(None, map(as_dict, listed)), key=_search_rank), data, request, query
        )


def _page(
    ordered: list[dict[str, Any]], data: dict[str, Any], request: PageRequest, query: SearchQuery
) -> Page:
    found = [_candidate(page, query) for page in ordered]
    usable = [c for c in found if isinstance(c, Candidate)]
    if not usable:  # nothing we can fetch: a format change, or a page of other media
        skipped = Counter(c for c in found if isinstance(c, str))
        return Page((), None, note=_nothing_note(len(ordered), skipped))
    # A page filtered empty by licence still leads on: the next may match.
    candidates = tuple(c for c in usable if matches(c.license, query.licenses))
    more = as_dict(data.get("continue"))
    if not more:
        return Page(candidates, None)
    params = {**request.params, **{k: _param(v) for k, v in more.items()}}
    return Page(candidates, PageRequest(request.url, params, request.headers, expect="json"))


def _param(value: object) -> str | int:
    return value if isinstance(value, int | str) and not isinstance(value, bool) else str(value)


def _search_rank(page: dict[str, Any]) -> int:
    return integer(page.get("index"), default=1 << 30)


def _metadata(info: dict[str, Any], key: str) -> str | None:
    """One ``extmetadata`` value as plain text (Commons puts HTML in several of them)."""
    entry = as_dict((as_dict(info.get("extmetadata")) or {}).get(key)) or {}
    value = entry.get("value")
    return (strip_tags(value) or None) if isinstance(value, str) else None


def _nothing_note(files: int, skipped: Counter[str]) -> str:
    """``parser found nothing (9 files: 5 type image/svg+xml, 4 no image URL)``."""
    reasons = ", ".join(f"{count} {reason}" for reason, count in skipped.most_common() if count)
    return f"parser found nothing ({files} files: {reasons or 'none listed'})"


def _mime(info: dict[str, Any]) -> str:
    """``mime`` as given, else a type from the original's file extension (``.svg`` if unknown)."""
    given = text(info, "mime")
    if given:
        return given
    name = http_url(info.get("url")) or ""
    extension = name.split("?")[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
    return _EXTENSION_MIMES.get(extension, f".{extension}" if extension else "unknown")


def _rendition(info: dict[str, Any]) -> tuple[str, int | None, int | None] | str:
    """The URL to fetch with its size, or why there is none (``type image/svg+xml``)."""
    mime = _mime(info)
    thumb, original = http_url(info.get("thumburl")), http_url(info.get("url"))
    if thumb and (mime in _DIRECT_MIMES or mime in _RENDERED_MIMES):
        return thumb, number(info.get("thumbwidth")), number(info.get("thumbheight"))
    if original and mime in _DIRECT_MIMES:
        return original, number(info.get("width")), number(info.get("height"))
    if mime in _DIRECT_MIMES or mime in _RENDERED_MIMES:
        return "no image URL"
    return f"type {mime}"


def _candidate(page: dict[str, Any], query: SearchQuery) -> Candidate | str:
    """The page's candidate, or the reason it has none."""
    info = as_dict(next(iter(as_list(page.get("imageinfo"))), None))
    if info is None:
        return "without imageinfo"
    rendition = _rendition(info)
    if isinstance(rendition, str):
        return rendition
    url, width, height = rendition
    title = (text(page, "title") or "").removeprefix("File:").rsplit(".", 1)[0].strip()
    license_name = _metadata(info, "LicenseShortName")
    description = _metadata(info, "ImageDescription")
    return Candidate(
        url=url,
        label=query.label,
        query=query.text,
        source=WikimediaEngine.name,
        page_url=http_url(info.get("descriptionurl")),
        title=title or None,
        license=license_name,
        license_url=http_url(_metadata(info, "LicenseUrl")),
        attribution=credit_line(info, title, license_name),
        width=width,
        height=height,
        description=description[:MAX_DESCRIPTION] if description else None,
        file_type=text(info, "mime"),
    )


def credit_line(info: dict[str, Any], title: str, license_name: str | None) -> str:
    """The credit to print: Commons' ``Attribution`` when the author asked for one.

    Otherwise ``"<Artist>, <licence>, via Wikimedia Commons"``, the form Commons suggests, with
    one exception: an ``Artist`` that is a sentence ("The original uploader was X at Italian
    Wikipedia.") is not glued in as a name; the uploader's name is taken from it, or the
    sentence is kept apart as ``Author: …``.
    """
    requested = _metadata(info, "Attribution")
    if requested:
        return requested
    licence = license_name or "licence unknown"
    artist = _metadata(info, "Artist") or "Unknown author"
    uploader = _UPLOADER.match(artist)
    if uploader:
        name, project = uploader["name"].strip(), uploader["project"].strip()
        return f"{name} ({project}), {licence}, via Wikimedia Commons"
    if _is_sentence(artist):
        return f"{title or 'Untitled'}, {licence}, via Wikimedia Commons. Author: {artist}"
    return f"{artist}, {licence}, via Wikimedia Commons"


def _is_sentence(artist: str) -> bool:
    """Prose rather than a name: five words or more, and a full stop ending or inside it."""
    return len(artist.split()) >= 5 and (artist.endswith(".") or ". " in artist)
