"""Licence normalisation: families, display forms, matching and the ``--license`` list."""

import pytest

from pixcrawler.licenses import (
    FAMILIES,
    display_name,
    license_family,
    matches,
    only_public_domain,
    parse_license_list,
    wanted_families,
)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("cc-by-sa-4.0", "by-sa"), ("CC BY-SA 4.0", "by-sa"), ("by-sa", "by-sa"),
        ("CC BY-SA 3.0 de", "by-sa"), ("CC BY 2.0", "by"), ("by", "by"),
        ("CC BY-NC-SA 2.0", "by-nc-sa"), ("by-nc-nd", "by-nc-nd"), ("cc-by-nd-4.0", "by-nd"),
        ("Creative Commons Attribution-Share Alike 4.0", "by-sa"),
        ("Attribution-NonCommercial-NoDerivatives 4.0 International", "by-nc-nd"),
        ("CC0", "cc0"), ("cc0 1.0", "cc0"), ("CC-Zero", "cc0"),
        ("Public domain", "pd"), ("PD-self", "pd"), ("PD-USGov", "pd"), ("pdm", "pd"),
        ("Public Domain Mark 1.0", "pd"),
        ("GFDL", None), ("All rights reserved", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_license_family(text: str | None, family: str | None) -> None:
    assert license_family(text) == family


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("by-sa 4.0", "CC BY-SA 4.0"), ("cc-by-nc-4.0", "CC BY-NC 4.0"), ("by ", "CC BY"),
        ("cc0 1.0", "CC0 1.0"), ("CC0", "CC0"), ("pdm 1.0", "Public Domain Mark 1.0"),
        ("PD-self", "Public domain"),
        ("GFDL", None), (None, None),
    ],
)  # fmt: skip
def test_display_name(text: str | None, display: str | None) -> None:
    assert display_name(text) == display


def test_matches_by_family_with_cc0_and_public_domain_as_one() -> None:
    wanted = ("cc0", "by", "by-sa")
    assert matches("CC BY-SA 4.0", wanted)
    assert matches("Public domain", wanted)
    assert matches("CC0", ("pd",))
    assert not matches("CC BY-NC 2.0", wanted)
    assert not matches("GFDL", wanted)
    assert not matches(None, wanted)
    assert matches(None, ())  # nothing asked: anything goes
    assert matches(None, ("not a licence",))  # nothing recognisable asked: same


def test_wanted_families_and_public_domain_only() -> None:
    assert wanted_families(["CC-BY-SA", "pdm"]) == {"by-sa", "pd", "cc0"}
    assert only_public_domain(["cc0"]) and only_public_domain(["pd", "cc0"])
    assert not only_public_domain(["cc0", "by"]) and not only_public_domain([])


def test_parse_license_list() -> None:
    assert parse_license_list("cc0, by,CC-BY-SA,by") == ("cc0", "by", "by-sa")
    assert parse_license_list("") == ()
    with pytest.raises(ValueError, match="unknown licence gpl, mit; use cc0, pd, by"):
        parse_license_list("by,gpl,mit")


def test_every_family_is_its_own_family() -> None:
    assert all(license_family(family) == family for family in FAMILIES)
