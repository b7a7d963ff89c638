"""Check an archive against its sidecar checksum and the ``SHA256SUMS`` inside it."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from pixcrawler.utility.compress._checksums import SUMS_NAME, file_sha256, parse_sums, read_sidecar
from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._readers import READ_ERRORS, Member, iter_members, sniff_format
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The verdict on one archive: ``checked`` members matched their recorded SHA-256."""

    path: Path
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)


def verify_archive(path: Path) -> VerifyResult:
    """Check ``path`` (zip, 7z or tar.zst, told apart by content) end to end.

    First the archive's bytes against ``<path>.sha256`` when that file exists, then every
    member against the ``<top>/SHA256SUMS`` inside: members missing from the archive, members
    the sums do not list, and members whose bytes differ are each reported as a problem, as
    is an archive that cannot be read to the end.

    Raises:
        PackagingError: ``path`` is not a file or not an archive in one of our formats.
    """
    if not path.is_file():
        raise PackagingError(f"{path} is not a file")
    fmt = sniff_format(path)
    log = logger.bind(operation="compression", action="verify", archive=str(path), format=fmt)
    started = time.perf_counter()
    problems = _check_sidecar(path)
    try:
        members = list(iter_members(path, fmt, keep=_is_sums))
    except READ_ERRORS as exc:
        problems.append(f"archive cannot be read: {type(exc).__name__}: {exc}")
        members = []
    checked = _compare(members, problems) if members else 0
    result = VerifyResult(path, not problems, checked, problems)
    seconds = round(time.perf_counter() - started, 3)
    log.bind(ok=result.ok, checked=checked, problems=len(problems), seconds=seconds).info(
        "archive verified"
    )
    return result


def _is_sums(name: str) -> bool:
    top, _, rest = name.partition("/")
    return bool(top) and rest == SUMS_NAME


def _check_sidecar(path: Path) -> list[str]:
    recorded = read_sidecar(path)
    if recorded is None or recorded == file_sha256(path):
        return []
    return [f"archive SHA-256 differs from {path.name}.sha256"]


def _compare(members: list[Member], problems: list[str]) -> int:
    """Compare members with the sums file, appending to ``problems``; returns members matched."""
    problems.extend(f"cannot read {m.name}: {m.error}" for m in members if m.error is not None)
    loaded = _load_sums(members, problems)
    if loaded is None:
        return 0
    sums, expected = loaded
    prefix = sums.name.removesuffix(SUMS_NAME)
    unreadable = {m.name.removeprefix(prefix) for m in members if m.error is not None}
    others = [m for m in members if m is not sums and m.error is None]
    actual = {m.name[len(prefix) :]: m.sha256 for m in others if m.name.startswith(prefix)}
    unlisted = [m.name for m in others if not m.name.startswith(prefix)]
    unlisted += [prefix + name for name in actual.keys() - expected]
    missing = expected.keys() - actual.keys() - unreadable
    problems.extend(f"missing member {prefix}{name}" for name in sorted(missing))
    problems.extend(f"unlisted member {name}" for name in sorted(unlisted))
    mismatched = sorted(name for name in expected.keys() & actual if expected[name] != actual[name])
    problems.extend(f"checksum mismatch {prefix}{name}" for name in mismatched)
    return len(expected.keys() & actual) - len(mismatched)


def _load_sums(members: list[Member], problems: list[str]) -> tuple[Member, dict[str, str]] | None:
    sums = next((m for m in members if _is_sums(m.name)), None)
    if sums is None:
        problems.append(f"no {SUMS_NAME} at the top of the archive")
        return None
    if sums.content is None:
        return None  # Unreadable, already reported.
    try:
        return sums, parse_sums(sums.content.decode("utf-8").splitlines())
    except (UnicodeDecodeError, PackagingError) as exc:
        problems.append(f"{sums.name} is unreadable: {exc}")
        return None
