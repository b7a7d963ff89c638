"""Choose which files of a dataset folder go into an archive, in a stable order."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pixcrawler.utility.compress._errors import PackagingError

#: Top-level files copied into an archive when present; ``metadata.jsonl`` is required.
ROOT_FILES = ("metadata.jsonl", "manifest.jsonl", "report.html", "README.md")
#: Folders copied whole (except hidden and partial files).
ROOT_FOLDERS = ("images", "labels")
#: Suffixes (lower case) treated as images: stored uncompressed, re-encoded on request.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"}
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One dataset file to archive; ``name`` is its POSIX path relative to the dataset root."""

    name: str
    source: Path
    size: int
    mtime: float

    @property
    def is_image(self) -> bool:
        """Whether the file lies under ``images/`` with an image suffix."""
        return self.name.startswith("images/") and Path(self.name).suffix.lower() in IMAGE_SUFFIXES


def require_dataset(root: Path) -> None:
    """Raise :class:`PackagingError` unless ``root`` is a folder with a ``metadata.jsonl``."""
    if not root.is_dir():
        raise PackagingError(f"{root} is not a directory")
    if not (root / "metadata.jsonl").is_file():
        raise PackagingError(f"{root} is not a PixCrawler dataset (no metadata.jsonl)")


def select_entries(root: Path) -> list[Entry]:
    """The files to archive, sorted by name.

    Included: :data:`ROOT_FILES` that exist and everything under :data:`ROOT_FOLDERS`.
    Excluded: the ``.pixcrawler/`` state, any hidden file or folder (temporaries of atomic
    writes start with a dot) and ``*.part`` files left by an interrupted download.
    """
    paths = [root / name for name in ROOT_FILES if (root / name).is_file()]
    for folder in ROOT_FOLDERS:
        paths.extend(_walk(root / folder))
    entries = [_entry(root, path) for path in paths]
    return sorted(entries, key=lambda entry: entry.name)


def _walk(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(".") or path.suffix == ".part":
            continue
        if path.is_dir() and not path.is_symlink():  # a linked folder could loop forever
            yield from _walk(path)
        elif path.is_file():
            yield path


def _entry(root: Path, path: Path) -> Entry:
    stat = path.stat()
    return Entry(path.relative_to(root).as_posix(), path, stat.st_size, stat.st_mtime)
