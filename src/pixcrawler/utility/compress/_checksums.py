"""SHA-256 helpers: hashing while streaming, and files in ``sha256sum`` format."""

import hashlib
import io
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from pixcrawler.utility.compress._errors import PackagingError

#: Name of the checksum manifest inside an archive, directly under its top folder.
SUMS_NAME = "SHA256SUMS"
_CHUNK = 1 << 20


class HashingReader(io.BufferedIOBase, BinaryIO):
    """A read-only view of a binary stream that hashes every byte read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def read(self, size: int | None = -1, /) -> bytes:
        data = self._raw.read(-1 if size is None else size)
        self.digest.update(data)
        self.count += len(data)
        return data

    def read1(self, size: int = -1, /) -> bytes:
        return self.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()


def stream_sha256(stream: BinaryIO) -> str:
    """Hex SHA-256 of everything left in ``stream``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with path.open("rb") as stream:
        return stream_sha256(stream)


def format_sums(digests: Mapping[str, str]) -> bytes:
    """``sha256sum`` output (``<hex>  <path>`` lines) for ``digests``, sorted by path."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests)).encode("utf-8")


def parse_sums(lines: Iterable[str]) -> dict[str, str]:
    """Path -> hex digest from ``sha256sum`` lines (text or ``*`` binary marker)."""
    digests: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        digest, separator, name = line.rstrip("\n").partition(" ")
        if not separator or len(digest) != 64 or name[:1] not in (" ", "*"):
            raise PackagingError(f"{SUMS_NAME} line {number} is not in sha256sum format")
        digests[name[1:]] = digest.lower()
    return digests


def sidecar_path(archive: Path) -> Path:
    """Where the archive's own checksum lives: ``<archive>.sha256``."""
    return archive.with_name(archive.name + ".sha256")


def write_sidecar(archive: Path, digest: str, *, name: str) -> Path:
    """Atomically write ``<hex>  <name>`` to :func:`sidecar_path` of ``archive``."""
    target = sidecar_path(archive)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        partial.write_text(f"{digest}  {name}\n", encoding="utf-8")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def read_sidecar(archive: Path) -> str | None:
    """The digest recorded next to ``archive``, or ``None`` when there is no sidecar."""
    path = sidecar_path(archive)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return text.split(maxsplit=1)[0].lower() if text.strip() else ""
