"""Openverse: the openly licensed media API, ``/v1/images/`` JSON, licence-filtered server side.

``Candidate.license`` is the display form (``CC BY-SA 4.0``, ``CC0 1.0``, ``Public Domain Mark
1.0``) built from the API's ``license`` code and ``license_version``; codes outside the CC and
public-domain families (``sampling+``) are kept as the API gives them.

Safe search: the API leaves sensitive results out unless asked (``mature=true``, sent only when
``SearchQuery.safe_search`` is off); a row flagged ``mature`` or with a non-empty
``unstable__sensitivity`` that still arrives under safe search is dropped here.
"""

from typing import Any, ClassVar

from pixcrawler.builder.discovery.engines._base import Page, PageRequest, SearchQuery
from pixcrawler.builder.discovery.engines._values import (
    as_dict,
    as_list,
    http_url,
    integer,
    number,
    text,
)
from pixcrawler.licenses import display_name, wanted_families
from pixcrawler.records import Candidate

#: The most an anonymous client may ask for in one page.
PAGE_SIZE = 20
#: Our licence families in Openverse's ``license`` parameter; the others are spelled alike.
_API_CODES = {"pd": "pdm"}


class OpenverseEngine:
    """Openverse's image search, paged by ``page`` until ``page_count``."""

    name: ClassVar[str] = "openverse"
    supports_licenses: ClassVar[bool] = True

    def first_request(self, query: SearchQuery, base_url: str) -> PageRequest:
        """``GET {base}/v1/images/?q=…&page=1&page_size=20[&license=cc0,by,…]``."""
        params: dict[str, str | int] = {"q": query.text, "page": 1, "page_size": PAGE_SIZE}
        families = sorted(wanted_families(query.licenses))
        if families:
            params["license"] = ",".join(_API_CODES.get(f, f) for f in families)
        if not query.safe_search:
            params["mature"] = "true"
        return PageRequest(
            f"{base_url}/v1/images/",
            params=params,
            headers={"Accept": "application/json"},
            expect="json",
        )

    def parse(self, body: Any, request: PageRequest, query: SearchQuery) -> Page:
        """Candidates with licence, licence URL and the API's attribution line."""
        data = as_dict(body)
        if data is None or not isinstance(data.get("results"), list):
            detail = text(data, "detail") if data else None
            return Page((), None, note=f"malformed response: {detail or 'no results list'}")
        rows = as_list(data["results"])
        found = [c for c in (_candidate(row, query) for row in rows) if c is not None]
        if rows and not found:
            note = f"parser found nothing ({len(rows)} results, none with an image URL)"
            return Page((), None, note=note)
        # Under safe search a flagged row is dropped; a page left empty still leads on.
        candidates = tuple(c for c in found if not (query.safe_search and c.mature))
        page = integer(data.get("page"), default=integer(request.params.get("page"), default=1))
        if not rows or page >= integer(data.get("page_count")):
            return Page(candidates, None)
        params = {**request.params, "page": page + 1}
        return Page(candidates, PageRequest(request.url, params, request.headers, expect="json"))


def _candidate(row: object, query: SearchQuery) -> Candidate | None:
    fields = as_dict(row)
    url = http_url(fields.get("url")) if fields else None
    if fields is None or url is None:
        return None
    title = text(fields, "title")
    code = f"{text(fields, 'license') or ''} {text(fields, 'license_version') or ''}"
    creator = text(fields, "creator")
    fallback = f"{title or 'Untitled'} by {creator}" if creator else None
    return Candidate(
        url=url,
        label=query.label,
        query=query.text,
        source=OpenverseEngine.name,
        page_url=http_url(fields.get("foreign_landing_url")),
        title=title,
        license=display_name(code) or code.strip() or None,  # e.g. "sampling+ 1.0" as given
        license_url=http_url(fields.get("license_url")),
        attribution=text(fields, "attribution") or fallback,
        width=number(fields.get("width")),
        height=number(fields.get("height")),
        provider=text(fields, "source") or text(fields, "provider"),
        file_type=text(fields, "filetype"),
        mature=_is_mature(fields),
    )


def _is_mature(fields: dict[str, Any]) -> bool | None:
    """The API's ``mature`` flag, or True when it lists any sensitivity; None if it says nothing."""
    flagged = fields.get("mature")
    if as_list(fields.get("unstable__sensitivity")):
        return True
    return flagged if isinstance(flagged, bool) else None
