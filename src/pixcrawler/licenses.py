"""Licence names from any source reduced to a family ("by-sa", "cc0", "pd") and a display form.

Families are the vocabulary of ``--license`` and of :attr:`SearchQuery.licenses`. ``cc0`` and
``pd`` (public domain, Public Domain Mark) both mean "no rights reserved", so asking for either
accepts both. Display forms follow Creative Commons' own short names: ``CC BY-SA 4.0``,
``CC0 1.0`` (``CC0`` when no version is given), ``Public Domain Mark 1.0``.
"""

import re
from collections.abc import Iterable

#: Every family, in the order a help text lists them.
FAMILIES = ("cc0", "pd", "by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd")
NO_RIGHTS_RESERVED = frozenset({"cc0", "pd"})

_TOKEN = re.compile(r"[a-z0-9]+")
_VERSION = re.compile(r"(?<![\d.])(\d\.\d)(?![\d.])")
#: Long-form words, matched in the text with separators removed ("Share-Alike" too).
_SPELLED_OUT = {"noncommercial": "nc", "noderiv": "nd", "sharealike": "sa"}


def license_family(text: str | None) -> str | None:
    """The family of a licence name or code, or None when it is no CC or public-domain licence.

    >>> [license_family(t) for t in ("cc-by-sa-4.0", "CC BY-NC 2.0", "PD-self", "GFDL")]
    ['by-sa', 'by-nc', 'pd', None]
    """
    if not isinstance(text, str):
        return None
    tokens = _TOKEN.findall(text.lower())
    squashed = "".join(tokens)
    if "cc0" in tokens or ("cc" in tokens and "zero" in tokens):
        return "cc0"
    if {"pd", "pdm", "publicdomain"} & set(tokens) or "publicdomain" in squashed:
        return "pd"
    if "by" not in tokens and "attribution" not in squashed:
        return None
    conditions = {t for t in tokens if t in {"nc", "nd", "sa"}}
    conditions |= {short for word, short in _SPELLED_OUT.items() if word in squashed}
    if "nd" in conditions:
        conditions.discard("sa")  # no licence is both; a garbled name keeps the stricter
    return "-".join(["by", *(c for c in ("nc", "nd", "sa") if c in conditions)])


def display_name(text: str | None) -> str | None:
    """A licence code or name in display form: ``"by-sa 4.0"`` -> ``"CC BY-SA 4.0"``.

    Returns None when :func:`license_family` does not know the licence.
    """
    family = license_family(text)
    if family is None or text is None:
        return None
    match = _VERSION.search(text)
    version = f" {match.group(1)}" if match else ""
    if family == "cc0":
        return f"CC0{version}"  # "CC0 1.0" when the source gives the version
    if family == "pd":
        marked = "mark" in text.lower() or "pdm" in text.lower()
        return f"Public Domain Mark{version}" if marked else "Public domain"
    return f"CC {family.upper()}{version}"


def wanted_families(names: Iterable[str]) -> frozenset[str]:
    """The families that satisfy a request: names normalised, unknown ones dropped, cc0 ~ pd."""
    families = {family for family in map(license_family, names) if family is not None}
    if families & NO_RIGHTS_RESERVED:
        families |= NO_RIGHTS_RESERVED
    return frozenset(families)


def matches(text: str | None, wanted: Iterable[str]) -> bool:
    """Whether licence ``text`` belongs to one of the ``wanted`` families (nothing wanted: yes).

    A candidate with no licence, or one outside every CC and public-domain family, never matches
    a non-empty request.
    """
    families = wanted_families(wanted)
    if not families:
        return True
    return license_family(text) in families


def parse_license_list(text: str) -> tuple[str, ...]:
    """``"cc0,by,CC-BY-SA"`` -> ``("cc0", "by", "by-sa")``; an empty text means any licence.

    Raises:
        ValueError: a name belongs to no family; the message lists the families.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if license_family(name) is None]
    if unknown:
        raise ValueError(f"unknown licence {', '.join(unknown)}; use {', '.join(FAMILIES)}")
    families = (license_family(name) for name in names)
    return tuple(dict.fromkeys(f for f in families if f is not None))


def only_public_domain(wanted: Iterable[str]) -> bool:
    """Whether a request asks for public-domain / CC0 images only (a narrower engine filter)."""
    families = wanted_families(wanted)
    return bool(families) and families <= NO_RIGHTS_RESERVED
