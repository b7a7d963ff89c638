"""A small dataset built by hand in the builder's layout, and a reader for any of our archives."""

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import py7zr
import zstandard
from PIL import Image, ImageCms
from py7zr.io import BytesIOFactory

from pixcrawler.builder.dataset._exports import MANIFEST_FIELDS, METADATA_FIELDS
from pixcrawler.builder.dataset._labels import LABEL_FORMATS, LabelRow, write_label_files
from support.images import render

CLASSES = ["cat", "dog", "Red fox"]  # Slugs cat, dog, red-fox: already in ImageFolder order.
SLUGS = {"cat": "cat", "dog": "dog", "Red fox": "red-fox"}
Extract = Callable[[Path], dict[str, bytes]]


def _jpeg(seed: int, *, orientation: int | None = None, icc: bool = False) -> bytes:
    picture = render(seed, (48, 32))
    options: dict[str, object] = {"quality": 90}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    if icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _png_with_alpha(seed: int) -> bytes:
    picture = render(seed, (40, 40)).convert("RGBA")
    picture.putalpha(Image.linear_gradient("L").resize((40, 40)))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def _images() -> list[tuple[str, bytes, str]]:
    """(label, bytes, suffix) of the kept images: plain, rotated, ICC-tagged JPEGs, alpha PNG."""
    return [
        ("cat", _jpeg(1), ".jpg"),
        ("cat", _jpeg(2, orientation=6), ".jpg"),
        ("dog", _jpeg(3, icc=True), ".jpg"),
        ("dog", _png_with_alpha(4), ".png"),
        ("Red fox", _jpeg(5), ".jpeg"),
    ]


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")


def build_dataset(root: Path) -> Path:
    """A dataset folder shaped like the builder's output, plus the clutter packaging must skip."""
    metadata, manifest, labels = [], [], []
    for order, (label, data, suffix) in enumerate(_images()):
        sha = hashlib.sha256(data).hexdigest()
        file_name = f"images/{SLUGS[label]}/{sha[:20]}{suffix}"
        (root / file_name).parent.mkdir(parents=True, exist_ok=True)
        (root / file_name).write_bytes(data)
        with Image.open(io.BytesIO(data)) as picture:
            width, height, fmt = picture.width, picture.height, picture.format
        url = f"https://example.org/{order}{suffix}"
        values = {
            "file_name": file_name, "label": label, "url": url, "source_url": url, "sha256": sha,
            "width": width, "height": height, "format": fmt, "status": "kept", "reason": "kept",
            "attempts": 1, "cross_class": False, "phash": "0" * 16,
        }  # fmt: skip
        metadata.append({name: values.get(name) for name in METADATA_FIELDS})
        manifest.append({name: values.get(name) for name in MANIFEST_FIELDS})
        index = CLASSES.index(label)
        labels.append(LabelRow(file_name, label, index, width, height, sha, url))
    first = metadata[0]["file_name"]
    manifest.append(
        {name: None for name in MANIFEST_FIELDS}
        | {"url": "https://example.org/dup.jpg", "label": "cat", "status": "duplicate",
           "reason": f"exact duplicate of {first}", "duplicate_of": first, "cross_class": False}
    )  # fmt: skip
    _write_jsonl(root / "metadata.jsonl", metadata)
    _write_jsonl(root / "manifest.jsonl", manifest)
    write_label_files(root / "labels", labels, CLASSES, LABEL_FORMATS)
    (root / "README.md").write_text(f"# pets\n\nFirst image: {first}\n", "utf-8")
    (root / "report.html").write_text(f'<img src="{first}">\n', "utf-8")
    _add_clutter(root)
    return root


def _add_clutter(root: Path) -> None:
    (root / ".pixcrawler").mkdir()
    (root / ".pixcrawler" / "state.sqlite").write_bytes(b"SQLite format 3\x00")
    (root / "images" / "cat" / "0123456789abcdef0123.jpg.part").write_bytes(b"half")
    (root / "images" / ".DS_Store").write_bytes(b"finder")
    (root / "labels" / ".labels.json.1a2b3c4d.tmp").write_text("[", "utf-8")
    (root / "notes.txt").write_text("not part of the dataset", "utf-8")


def read_members(path: Path) -> dict[str, bytes]:
    """Every file member of a zip, 7z or tar.zst archive, read with the format's own library."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}
    if path.name.endswith(".7z"):
        factory = BytesIOFactory(limit=1 << 30)
        with py7zr.SevenZipFile(path) as archive:
            archive.extractall(factory=factory)
        return {name: product.read() for name, product in _rewound(factory.products).items()}
    with (
        path.open("rb") as raw,
        zstandard.ZstdDecompressor().stream_reader(raw) as reader,
        tarfile.open(fileobj=reader, mode="r|") as archive,
    ):
        return {
            info.name: stream.read()
            for info in archive
            if (stream := archive.extractfile(info)) is not None
        }


def _rewound(products: dict[str, py7zr.io.Py7zBytesIO]) -> dict[str, py7zr.io.Py7zBytesIO]:
    for product in products.values():
        product.seek(0)
    return products
