"""Fixtures for the report tests: an empty dataset folder and a fully populated one."""

from pathlib import Path

import pytest
from report_dataset import BY_SA_URL, BY_URL, RTL_LABEL, SCRIPT_LABEL, DatasetBuilder


@pytest.fixture
def builder(tmp_path: Path) -> DatasetBuilder:
    """An empty dataset folder to fill by hand."""
    root = tmp_path / "pets"
    root.mkdir()
    return DatasetBuilder(root)


@pytest.fixture
def dataset(builder: DatasetBuilder) -> Path:
    """Five classes, three sources, every status, four licences, one cross-class duplicate.

    Expected funnels (candidates, downloaded, valid, unique, kept): cat 6/5/4/3/3,
    dog 4/3/3/2/2, the script label 2/1/1/1/1, the RTL label 2/2/2/2/2, "empty" 2/0/0/0/0.
    One RTL image is not a decodable file, so its thumbnail is a placeholder.
    """
    b = builder
    cat = b.keep("cat", "cat", "bing")
    b.keep("cat", "cat", "bing")
    b.keep("cat", "cat", "openverse", license="by-sa", license_url=BY_SA_URL, attribution="Jane")
    b.reject("cat", "download_failed", "http 404", "bing")
    b.reject("cat", "invalid", "too small 48x48", "bing", sha256="ab" * 32)
    b.reject("cat", "duplicate", f"exact duplicate of {cat}", "bing", sha256="cd" * 32,
             duplicate_of=cat)  # fmt: skip
    b.keep("dog", "dog", "openverse", license="by", license_url=BY_URL, attribution="Ann <ann>")
    b.keep("dog", "dog", "openverse", license="by", license_url=BY_URL,
           page_url="https://photos.example/dog")  # fmt: skip
    b.reject("dog", "duplicate", f"near duplicate of {cat}", "openverse", sha256="ef" * 32,
             duplicate_of=cat, cross_class=True, url="https://img.example/leak.jpg")  # fmt: skip
    b.reject("dog", "filtered", "x-robots-tag noai", "openverse")
    b.keep(SCRIPT_LABEL, "script-alert-1-script", "url_list")
    b.reject(SCRIPT_LABEL, "download_failed", "timeout (ReadTimeout)", "url_list")
    b.keep(RTL_LABEL, "قطة", "url_list", license="cc0")
    b.keep(RTL_LABEL, "قطة", "url_list", license="cc0", body=b"not an image at all")
    b.reject("empty", "download_failed", "http 404", "url_list")
    b.reject("empty", "download_failed", "http 404", "url_list")
    return b.write()
