"""Licence names as sources give them: which ask for credit, and their Hugging Face identifiers."""

import re

from pixcrawler.licenses import NO_RIGHTS_RESERVED, license_family
from pixcrawler.utility.report._model import UNKNOWN_LICENCE

_TOKEN = re.compile(r"[a-z0-9]+")
_VERSION = re.compile(r"/(\d+\.\d+)(?:/|$)")
_CC_CODE = re.compile(r"^(?:cc[- ])?(by(?:-(?:nc|nd|sa))*)(?:[- ](\d+\.\d+))?$")


def licence_name(value: str | None) -> str:
    """The licence as displayed and grouped: trimmed, or :data:`UNKNOWN_LICENCE` when absent."""
    return (value or "").strip() or UNKNOWN_LICENCE


def needs_attribution(licence: str, credit: str | None) -> bool:
    """Whether an image under ``licence`` must be credited when redistributed.

    Creative Commons "BY" licences always ask for it; public-domain marks never do; any other
    licence (unknown ones included) is listed when its source named an author, to be safe.
    """
    family = license_family(licence)
    if family in NO_RIGHTS_RESERVED:
        return False
    if family is not None:
        return True  # every other family is a CC BY variant
    return credit is not None


def hf_licence_id(licence: str, url: str | None) -> str:
    """The Hugging Face ``license:`` identifier for one licence; ``other`` when it has none.

    Codes ("by-sa"), display names ("CC BY-SA 4.0") and Hub ids ("cc-by-sa-4.0") are understood;
    a version missing from the name is read from the licence URL (``…/licenses/by-sa/4.0/``).
    """
    key = licence.lower().strip()
    if key == UNKNOWN_LICENCE:
        return "unknown"
    if "cc0" in _TOKEN.findall(key):
        return "cc0-1.0"
    match = _CC_CODE.match(key)
    if match is None:
        return "other"
    version = match.group(2) or _version_in(url)
    return f"cc-{match.group(1)}-{version}" if version else "other"


def _version_in(url: str | None) -> str | None:
    match = _VERSION.search(url or "")
    return match.group(1) if match else None
