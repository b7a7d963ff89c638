"""Validate or deduplicate an existing folder of images: the ``validate`` and ``dedup`` commands."""

import hashlib
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


def dedup_folder(
    root: Path,
    threshold: int,
    *,
    rules: ValidationRules | None = None,
    extensions: Collection[str] | None = IMAGE_EXTENSIONS,
) -> Iterator[FolderDuplicate]:
    """Find exact and near duplicates under ``root``; the first file in walk order is the original.

    Files that cannot be read or decoded are skipped (``validate_folder`` reports them).

    Args:
        root: the folder to walk.
        threshold: the largest pHash Hamming distance counted as a near duplicate.
        rules: limits for decoding; by default any size and any format Pillow opens.
        extensions: lower-case suffixes to look at, or None for every file.
    """
    rules = rules or _hash_only_rules()
    conn = sqlite3.connect(":memory:")
    try:
        index = DedupIndex(conn, threshold)
        for path in iter_image_files(root, extensions):
            duplicate = _index_file(index, root, path, rules)
            if duplicate is not None:
                yield duplicate
    finally:
        conn.close()


def _index_file(
    index: DedupIndex, root: Path, path: Path, rules: ValidationRules
) -> FolderDuplicate | None:
    """Match one file against the index, adding it when it is new."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        logger.bind(path=str(path), error=exc.strerror).debug("skipped unreadable file")
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    label = label_of(root, path)
    # An exact copy needs no decode: look it up by sha256 alone first.
    match = index.find(sha256, 0, threshold=-1)
    if match is None:
        try:
            phash = inspect_image(data, rules).phash
        except ValidationError as exc:
            logger.bind(path=str(path), reason=exc.reason).debug("skipped invalid image")
            return None
        match = index.find(sha256, phash)
        if match is None:
            index.add(sha256, phash, label, path.relative_to(root).as_posix())
            return None
    return FolderDuplicate(
        path=path,
        duplicate_of=root / match.file_name,
        kind=match.kind,
        distance=match.distance,
        cross_class=match.label != label,
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
