"""Tests for report.html: self-contained, escaped, with thumbnails, charts and funnel numbers."""

import re
from html import escape
from pathlib import Path

import pytest
from report_dataset import RTL_LABEL, SCRIPT_LABEL, DatasetBuilder

from pixcrawler.utility.report import ReportError, write_report


@pytest.fixture
def page(dataset: Path) -> str:
    paths = write_report(dataset, title="Pets")
    assert paths.html == dataset / "report.html"
    return paths.html.read_text(encoding="utf-8")


def test_page_loads_nothing_from_the_network(page: str) -> None:
    assert not re.search(r"""(src|srcset|poster)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page.lower()
    assert not re.search(r"<script", page, re.I)  # no scripts at all, ours or injected
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.I)


def test_one_thumbnail_per_readable_kept_image(page: str) -> None:
    assert page.count('src="data:image/jpeg;base64,') == 7
    assert page.count('class="thumb missing"') == 1  # the RTL class's undecodable file


def test_thumbnails_are_capped_per_class(builder: DatasetBuilder) -> None:
    for _ in range(5):
        builder.keep("cat", "cat", "bing")
    html = write_report(builder.write(), thumbs_per_class=2).html.read_text(encoding="utf-8")
    assert html.count('src="data:image/jpeg;base64,') == 2
    assert "5 kept · showing first 2" in html


def test_labels_are_escaped_and_isolated(page: str) -> None:
    assert SCRIPT_LABEL not in page
    assert escape(SCRIPT_LABEL) in page
    assert f"<bdi>{RTL_LABEL}</bdi>" in page


def test_thumbnail_tooltip_names_source_and_licence(page: str) -> None:
    assert re.search(r'title="images/dog/[0-9a-f]+\.jpg\nhttps://img\.example/dog/\d+\.jpg\n'
                     r'licence: by"', page)  # fmt: skip


def test_charts_are_inline_svg(page: str) -> None:
    assert 'aria-label="Kept images per class"' in page
    assert 'aria-label="Kept images by shorter side in pixels"' in page
    assert page.count('class="funnel-bar"') == 5 + 3 + 1  # classes, sources, total
    assert 'class="bar low"' in page  # "empty" and the one-image classes are below the median


def test_funnel_numbers(page: str) -> None:
    cat_row = re.search(r"<tr><td><bdi>cat</bdi></td>(.*?)</tr>", page)
    assert cat_row is not None
    numbers = re.findall(r'<td class="num">([\d,.%]+)</td>', cat_row.group(1))
    assert numbers == ["6", "5", "4", "3", "3", "50.0%"]
    total = re.search(r"<tfoot><tr><th>Total</th><th></th>(.*?)</tr>", page)
    assert total is not None
    assert re.findall(r'<th class="num">([\d,.%]+)</th>', total.group(1))[:5] == [
        "16", "11", "10", "8", "8",
    ]  # fmt: skip


def test_rejections_cross_class_and_licences(page: str) -> None:
    assert "near duplicate (cross-class)" in page
    assert "https://img.example/leak.jpg" in page
    assert f'href="{"https://creativecommons.org/licenses/by/4.0/"}"' in page
    assert "Ann &lt;ann&gt;" in page
    assert "need review before" in page  # some licences are unknown


def test_header_and_footer(page: str) -> None:
    assert "<h1><bdi>Pets</bdi></h1>" in page
    assert "report built" in page
    assert "rows with a sha256" in page


def test_unsafe_links_are_not_linked(builder: DatasetBuilder) -> None:
    builder.keep("cat", "cat", "bing", license="odd", license_url="javascript:alert(1)")
    html = write_report(builder.write()).html.read_text(encoding="utf-8")
    assert "javascript:" not in html


def test_empty_dataset_still_renders(builder: DatasetBuilder) -> None:
    builder.reject("cat", "download_failed", "http 404", "bing")
    paths = write_report(builder.write())
    html = paths.html.read_text(encoding="utf-8")
    assert "No kept images." in html
    assert paths.card.is_file()


def test_missing_manifest_raises(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"manifest\.jsonl"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()
