"""Each parser on real responses captured from the live services (see fixtures/real/*/SOURCE)."""

import json
from pathlib import Path
from typing import Any

from pixcrawler.builder.discovery.engines import (
    BingEngine,
    Engine,
    OpenverseEngine,
    Page,
    SearchQuery,
    WikimediaEngine,
)

REAL = Path(__file__).parent / "fixtures" / "real"
QUERY = SearchQuery("cat", "cat")


def parse(engine: Engine, name: str, query: SearchQuery = QUERY) -> Page:
    """``engine`` parsing the capture ``name`` as the first page of ``query``."""
    raw = (REAL / name).read_text(encoding="utf-8")
    body: Any = json.loads(raw) if name.endswith(".json") else raw
    return engine.parse(body, engine.first_request(query, "https://engine.example"), query)


def test_every_capture_has_its_source_noted() -> None:
    for folder in (p for p in REAL.iterdir() if p.is_dir()):
        source = (folder / "SOURCE").read_text(encoding="utf-8")
        for capture in folder.glob("*.*"):
            assert capture.name in source, f"{capture} is not described in {folder}/SOURCE"
        assert "commit" in source or "not identified" in source


def test_wikimedia_search_without_mime() -> None:
    """Commons omits ``mime`` unless asked: the old parser returned nothing and no note here."""
    page = parse(WikimediaEngine(), "wikimedia/search_no_mime.json")
    assert page.note is None
    assert [c.title for c in page.candidates] == [
        "Cat November 2010-1a",
        "Collage of Six Cats-02",
        "Cat poster 1",
        "Collage of Six Cats-01",
        "Cat poster 2",
        "Felis catus-cat on snow",
    ]  # fmt: skip - in the API's search order ("index"), not its page-id order
    first = page.candidates[0]
    assert first.url == (
        "https://upload.wikimedia.org/wikipedia/commons/thumb/4/4d/"
        "Cat_November_2010-1a.jpg/272px-Cat_November_2010-1a.jpg"
    )
    assert (first.width, first.height) == (272, 364)  # the rendition's size
    assert first.page_url == "https://commons.wikimedia.org/wiki/File:Cat_November_2010-1a.jpg"
    assert page.next is not None and page.next.params["gsroffset"] == 6


def test_wikimedia_prefers_the_requested_attribution() -> None:
    (candidate,) = parse(WikimediaEngine(), "wikimedia/imageinfo_attribution.json").candidates
    assert candidate.attribution == "Photograph by Rama, Wikimedia Commons, Cc-by-sa-2.0-fr"
    assert candidate.license == "CC BY-SA 2.0 fr"
    assert candidate.license_url == "https://creativecommons.org/licenses/by-sa/2.0/fr/deed.en"
    assert candidate.description is not None
    assert candidate.description.startswith("The making of this document was supported")


def test_wikimedia_artist_when_no_attribution_is_asked_for() -> None:
    (candidate,) = parse(WikimediaEngine(), "wikimedia/imageinfo_artist_only.json").candidates
    assert candidate.attribution == "Rama & Musée Bolo, CC BY-SA 2.0 fr, via Wikimedia Commons"


def test_openverse_2023_keeps_size_provider_and_flags() -> None:
    page = parse(OpenverseEngine(), "openverse/search_cat_2023-08-28.json")
    assert len(page.candidates) == 5
    bliss = page.candidates[0]
    assert (bliss.title, bliss.license, bliss.width, bliss.height) == (
        "Cat bliss", "CC BY-NC-SA 2.0", 1024, 819,
    )  # fmt: skip
    assert (bliss.provider, bliss.mature, bliss.file_type) == ("flickr", False, None)
    assert bliss.attribution is not None and bliss.attribution.startswith('"Cat bliss" by')
    assert page.next is not None and page.next.params["page"] == 2


def test_openverse_2022_cc0_keeps_its_version() -> None:
    page = parse(OpenverseEngine(), "openverse/search_cat_cc0_2022-03-28.json")
    assert [c.license for c in page.candidates] == ["CC0 1.0", "CC0 1.0"]
    # The 2022 API had no attribution, size or mature fields: the fallback credit, no hints.
    assert page.candidates[0].attribution == "cat by koiest"
    assert (page.candidates[0].width, page.candidates[0].mature) == (None, None)


def test_bing_real_metadata_rows() -> None:
    page = parse(BingEngine(), "bing/async_rows_2026-10-03.html")
    assert [(c.url, c.page_url) for c in page.candidates] == [
        (
            "http://wenhui.whb.cn/u/cms/www/202211/03155700yjdk.jpg",
            "https://wenhui.whb.cn/zhuzhan/yingshi/20221103/493588.html",
        ),
        (
            "https://x0.ifengimg.com/res/2024/84F0A598897E0953577D43138C1D2E5CFE56371E"
            "_size303_w1879_h1280.jpg",
            "https://h5.ifeng.com/c/vivo/v002j4ZDB5CXoqPXpFQKXw5jJgIb0-_BizcTRfHC6Gj35Rm8__"
            "?isNews=1",
        ),
    ]
    assert page.candidates[1].title == page.candidates[1].description == "从《繁花》看上海出品"
    assert page.next is not None and page.next.params["first"] == 36
