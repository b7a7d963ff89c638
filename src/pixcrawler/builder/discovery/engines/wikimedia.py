"""Wikimedia Commons: the MediaWiki API searching the File namespace, with licence metadata.

``Candidate.url`` is the 1024-pixel rendition (``thumburl``) when Commons made one, else the
original. ``Candidate.license`` is Commons' own ``LicenseShortName`` (``CC BY-SA 4.0``,
``Public domain``); licence requests are filtered here, by family.
"""

from typing import Any, ClassVar

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._html import strip_tags
from pixcrawler.builder.discovery.engines._values import as_dict, as_list, http_url, integer, text
from pixcrawler.licenses import matches
from pixcrawler.records import Candidate

PAGE_SIZE = 50
THUMB_WIDTH = 1024
#: Formats kept as they are; others only through the JPEG/PNG rendition Commons makes of them.
_DIRECT_MIMES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
_RENDERED_MIMES = frozenset({"image/tiff"})
_METADATA = ("LicenseShortName", "LicenseUrl", "Artist", "AttributionRequired", "ImageDescription")


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
        pages = as_dict((as_dict(data.get("query")) or {}).get("pages"))
        if pages is None:
            return Page((), None, note="malformed response: no query.pages")
        ordered = sorted(filter(None, map(as_dict, pages.values())), key=_search_rank)
        found = (_candidate(page, query) for page in ordered)
        candidates = tuple(c for c in found if c is not None and matches(c.license, query.licenses))
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


def _image_url(info: dict[str, Any]) -> str | None:
    mime = text(info, "mime") or ""
    thumb, original = http_url(info.get("thumburl")), http_url(info.get("url"))
    if mime in _DIRECT_MIMES:
        return thumb or original
    return thumb if mime in _RENDERED_MIMES else None


def _candidate(page: dict[str, Any], query: SearchQuery) -> Candidate | None:
    info = as_dict(next(iter(as_list(page.get("imageinfo"))), None))
    url = _image_url(info) if info else None
    if info is None or url is None:
        return None
    title = (text(page, "title") or "").removeprefix("File:").rsplit(".", 1)[0].strip()
    license_name = _metadata(info, "LicenseShortName")
    artist = _metadata(info, "Artist") or "Unknown author"
    return Candidate(
        url=url,
        label=query.label,
        query=query.text,
        source=WikimediaEngine.name,
        page_url=http_url(info.get("descriptionurl")),
        title=title or None,
        license=license_name,
        license_url=http_url(_metadata(info, "LicenseUrl")),
        attribution=f"{artist}, {license_name or 'licence unknown'}, via Wikimedia Commons",
    )
