"""Validate or deduplicate an existing folder of images: the ``validate`` and ``dedup`` commands."""

import hashlib
import json
import os
import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from pixcrawler.errors import ValidationError
from pixcrawler.records import ImageInfo
from pixcrawler.utility.logging_config import get_logger
from pixcrawler.validator.dedup import DedupIndex
from pixcrawler.validator.integrity import ValidationRules, inspect_image
from pixcrawler.validator.levels import ValidationLevel, ValidationProfile, validate_image

logger = get_logger(__name__)

#: Where a PixCrawler dataset lists its images, in the order they were kept.
MANIFEST_NAME = "manifest.jsonl"

#: Suffixes (lower case) the folder commands look at by default.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)


@dataclass(frozen=True, slots=True)
class FolderResult:
    """The verdict on one file: ``info`` when it passed, ``reason`` when it did not."""

    path: Path
    label: str
    ok: bool
    reason: str
    info: ImageInfo | None


@dataclass(frozen=True, slots=True)
class FolderFile:
    """An image file to deduplicate and its class."""

    path: Path
    label: str


@dataclass(frozen=True, slots=True)
class FolderDuplicate:
    """A file that duplicates one met earlier in the walk."""

    path: Path
    duplicate_of: Path
    kind: str  # "exact" or "near"
    distance: int
    cross_class: bool  # the two files sit under different class directories


def iter_image_files(
    root: Path, extensions: Collection[str] | None = IMAGE_EXTENSIONS
) -> Iterator[Path]:
    """Files under ``root`` in sorted walk order, skipping hidden files and directories.

    Args:
        root: the folder to walk.
        extensions: lower-case suffixes to keep, or None for every file.

    Raises:
        NotADirectoryError: if ``root`` is not a directory.
    """
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory: {root}")
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in sorted(files):
            path = Path(directory, name)
            if not name.startswith(".") and (
                extensions is None or path.suffix.lower() in extensions
            ):
                yield path


def label_of(root: Path, path: Path) -> str:
    """The class of ``path``: its first directory under ``root``, or "" at the top level."""
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else ""


def validate_folder(
    root: Path,
    rules: ValidationRules | ValidationProfile,
    *,
    extensions: Collection[str] | None = IMAGE_EXTENSIONS,
) -> Iterator[FolderResult]:
    """Check every image under ``root``, one result per file, in walk order.

    ``rules`` alone means the fast level (integrity); a profile brings its level's checks.
    """
    profile = rules if isinstance(rules, ValidationProfile) else _fast(rules)
    for path in iter_image_files(root, extensions):
        yield _validate_file(root, path, profile)


def _fast(rules: ValidationRules) -> ValidationProfile:
    return ValidationProfile(ValidationLevel.FAST, rules)


def _validate_file(root: Path, path: Path, profile: ValidationProfile) -> FolderResult:
    """Read and inspect one file, turning a refusal into a failed result."""
    label = label_of(root, path)
    try:
        info = validate_image(path.read_bytes(), profile)
    except OSError as exc:
        return FolderResult(path, label, ok=False, reason=f"unreadable ({exc.strerror})", info=None)
    except ValidationError as exc:
        return FolderResult(path, label, ok=False, reason=exc.reason, info=None)
    return FolderResult(path, label, ok=True, reason="", info=info)


def files_in_keep_order(
    root: Path, extensions: Collection[str] | None = IMAGE_EXTENSIONS
) -> tuple[list[FolderFile], bool]:
    """Image files under ``root``, the earliest kept first, and whether a manifest set the order.

    In a PixCrawler dataset (``root/manifest.jsonl``) its ``kept`` rows come first, in manifest
    order, with their recorded class; every other file follows in walk order (sorted paths),
    its class being its first directory under ``root``.

    Raises:
        NotADirectoryError: if ``root`` is not a directory.
        ValueError: if the manifest cannot be read or a line of it is not a JSON object.
    """
    listed = _manifest_files(root)
    seen = {entry.path for entry in listed}
    walked = [
        FolderFile(path, label_of(root, path))
        for path in iter_image_files(root, extensions)
        if path not in seen
    ]
    return [*listed, *walked], bool(listed)


def _manifest_files(root: Path) -> list[FolderFile]:
    """The kept images ``root/manifest.jsonl`` lists that exist under ``root``, in its order."""
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        return []
    inside = root.resolve()
    files: dict[Path, FolderFile] = {}
    for row in _manifest_rows(manifest):
        name = row.get("file_name")
        if row.get("status") != "kept" or not isinstance(name, str):
            continue
        path = root / name
        # A manifest is data: a row naming a file outside the dataset is not followed.
        if path not in files and path.is_file() and path.resolve().is_relative_to(inside):
            label = row.get("label")
            files[path] = FolderFile(
                path, label if isinstance(label, str) else label_of(root, path)
            )
    return list(files.values())


def _manifest_rows(manifest: Path) -> Iterator[dict[str, object]]:
    """Each line of ``manifest`` as a JSON object; blank lines skipped."""
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {manifest}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{manifest} line {number} is not JSON") from exc
        if not isinstance(row, dict):
            raise ValueError(f"{manifest} line {number} is not a JSON object")
        yield row


def dedup_folder(
    root: Path,
    threshold: int,
    *,
    rules: ValidationRules | None = None,
    files: list[FolderFile] | None = None,
) -> Iterator[FolderDuplicate]:
    """Find exact and near duplicates under ``root``; the earliest file is the original.

    The detector is the build's: sha256 for byte-identical files ("exact"), then the pHash and
    its rotation/mirror fingerprint (``DedupIndex``). Files that cannot be read or decoded are
    skipped (``validate_folder`` reports them).

    Args:
        root: the folder the files are under.
        threshold: the largest pHash Hamming distance counted as a near duplicate.
        rules: limits for decoding; by default any size and any format Pillow opens.
        files: the files in order, earliest first; by default :func:`files_in_keep_order`.
    """
    rules = rules or _hash_only_rules()
    ordered = files if files is not None else files_in_keep_order(root)[0]
    conn = sqlite3.connect(":memory:")
    try:
        index = DedupIndex(conn, threshold)
        for entry in ordered:
            duplicate = _index_file(index, root, entry, rules)
            if duplicate is not None:
                yield duplicate
    finally:
        conn.close()


def _index_file(
    index: DedupIndex, root: Path, entry: FolderFile, rules: ValidationRules
) -> FolderDuplicate | None:
    """Match one file against the index, adding it when it is new."""
    path = entry.path
    try:
        data = path.read_bytes()
    except OSError as exc:
        logger.bind(path=str(path), error=exc.strerror).debug("skipped unreadable file")
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    # An exact copy needs no decode: look it up by sha256 alone first.
    match = index.find(sha256, 0, threshold=-1)
    if match is None:
        try:
            info = inspect_image(data, rules)
        except ValidationError as exc:
            logger.bind(path=str(path), reason=exc.reason).debug("skipped invalid image")
            return None
        match = index.find(sha256, info.phash, fingerprint=info.fingerprint)
        if match is None:
            name = path.relative_to(root).as_posix()
            index.add(sha256, info.phash, entry.label, name, info.fingerprint)
            return None
    return FolderDuplicate(
        path=path,
        duplicate_of=root / match.file_name,
        kind=match.kind,
        distance=match.distance,
        cross_class=match.label != entry.label,
    )


def _hash_only_rules() -> ValidationRules:
    """Rules that refuse only what cannot be decoded safely: any size, any readable format."""
    Image.init()
    return ValidationRules(
        min_width=1,
        min_height=1,
        max_width=2**31,
        max_height=2**31,
        min_file_bytes=0,
        max_file_bytes=2**63,
        allowed_formats=tuple(sorted(Image.OPEN)),
        animated_policy="first_frame",
    )
