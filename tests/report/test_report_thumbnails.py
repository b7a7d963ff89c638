"""Tests for thumbnails: data URIs, transparency, unreadable files and files outside the root."""

import base64
import io
from pathlib import Path

from PIL import Image

from pixcrawler.utility.report._thumbnails import thumbnail_uri, thumbnails


def decode(uri: str) -> Image.Image:
    prefix = "data:image/jpeg;base64,"
    assert uri.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :])))


def test_large_jpeg_is_scaled_to_fit(tmp_path: Path) -> None:
    Image.new("RGB", (1200, 600), (200, 30, 30)).save(tmp_path / "big.jpg", "JPEG")
    uri = thumbnail_uri(tmp_path.resolve(), "big.jpg", 96)
    assert uri is not None
    with decode(uri) as thumb:
        assert thumb.size == (96, 48)


def test_transparent_png_becomes_white(tmp_path: Path) -> None:
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    uri = thumbnail_uri(tmp_path.resolve(), "clear.png", 96)
    assert uri is not None
    with decode(uri) as thumb:
        pixel = thumb.convert("RGB").getpixel((20, 20))
    assert isinstance(pixel, tuple)
    assert min(pixel) > 240


def test_unreadable_missing_and_outside_files_give_none(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    Image.new("RGB", (8, 8)).save(tmp_path / "outside.jpg")
    result = thumbnails(root, ["broken.jpg", "missing.jpg", "../outside.jpg"], workers=2)
    assert result == {"broken.jpg": None, "missing.jpg": None, "../outside.jpg": None}
