"""Read back any of our archive formats member by member, hashing each one as it streams."""

import hashlib
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import py7zr
import zstandard
from py7zr.io import Py7zIO, WriterFactory

from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._writers import ArchiveFormat

#: What a damaged or truncated archive raises while being read.
READ_ERRORS = (
    OSError, EOFError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, tarfile.TarError,
    zstandard.ZstdError, py7zr.exceptions.ArchiveError,
)  # fmt: skip
_MAGIC: dict[bytes, ArchiveFormat] = {
    b"PK\x03\x04": "zip",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"\x28\xb5\x2f\xfd": "tar.zst",
}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Member:
    """A file read from an archive: its name, SHA-256 and, when asked for, its bytes.

    ``error`` says why a member of a random-access archive (ZIP) could not be read; the
    others are then still read. Streamed formats stop at the first damage instead.
    """

    name: str
    sha256: str
    content: bytes | None = None
    error: str | None = None


KeepContent = Callable[[str], bool]


def sniff_format(path: Path) -> ArchiveFormat:
    """The archive format of ``path`` from its first bytes, whatever its name."""
    with path.open("rb") as stream:
        head = stream.read(8)
    for magic, fmt in _MAGIC.items():
        if head.startswith(magic):
            return fmt
    raise PackagingError(f"{path} is not a zip, 7z or tar.zst archive")


def iter_members(path: Path, fmt: ArchiveFormat, keep: KeepContent) -> Iterator[Member]:
    """Every regular file in the archive, in archive order; ``keep(name)`` keeps its bytes."""
    readers = {"zip": _zip_members, "7z": _seven_zip_members, "tar.zst": _tar_zst_members}
    return readers[fmt](path, keep)


def _digest(name: str, stream: IO[bytes], keep: KeepContent) -> Member:
    digest, wanted = hashlib.sha256(), keep(name)
    parts: list[bytes] = []
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        if wanted:
            parts.append(chunk)
    return Member(name, digest.hexdigest(), b"".join(parts) if wanted else None)


def _zip_members(path: Path, keep: KeepContent) -> Iterator[Member]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                yield _zip_member(archive, info, keep)


def _zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, keep: KeepContent) -> Member:
    try:
        with archive.open(info) as stream:  # Checks the member's CRC at its end.
            return _digest(info.filename, stream, keep)
    except READ_ERRORS as exc:
        return Member(info.filename, "", error=f"{type(exc).__name__}: {exc}")


def _tar_zst_members(path: Path, keep: KeepContent) -> Iterator[Member]:
    decompressor = zstandard.ZstdDecompressor()
    with (
        path.open("rb") as raw,
        decompressor.stream_reader(raw) as reader,
        tarfile.open(fileobj=reader, mode="r|") as archive,
    ):
        for info in archive:
            stream = archive.extractfile(info) if info.isfile() else None
            if stream is not None:
                yield _digest(info.name, stream, keep)


class _DigestIO(Py7zIO):
    """Receives one 7z member from py7zr's extractor and keeps only its hash (and bytes if kept)."""

    def __init__(self, wanted: bool) -> None:
        self.digest, self.wanted, self._size = hashlib.sha256(), wanted, 0
        self.parts: list[bytes] = []

    def write(self, s: bytes | bytearray) -> int:
        self.digest.update(s)
        self._size += len(s)
        if self.wanted:
            self.parts.append(bytes(s))
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self._size


class _DigestFactory(WriterFactory):
    def __init__(self, keep: KeepContent) -> None:
        self.keep, self.products = keep, dict[str, _DigestIO]()

    def create(self, filename: str) -> Py7zIO:
        product = self.products[filename] = _DigestIO(self.keep(filename))
        return product


def _seven_zip_members(path: Path, keep: KeepContent) -> Iterator[Member]:
    factory = _DigestFactory(keep)
    with py7zr.SevenZipFile(path, "r") as archive:
        archive.extractall(factory=factory)  # Streams through the solid block; no disk writes.
    for name, product in factory.products.items():
        content = b"".join(product.parts) if product.wanted else None
        yield Member(name, product.digest.hexdigest(), content)
