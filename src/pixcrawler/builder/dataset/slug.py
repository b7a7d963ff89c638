"""Turn class labels into safe, unique folder names that keep letters of every script."""

import hashlib
import unicodedata
from collections.abc import Iterable

MAX_SLUG_BYTES = 80
# Device names Windows refuses as file or folder names, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)


def slugify(label: str) -> str:
    """Return a folder name for ``label``: lower-case letters, digits and single hyphens.

    Letters, marks and digits of any script survive ("猫", "кошка"); NFKC folds look-alike
    forms first. Everything else becomes "-", so the result never contains "/", "\\", NUL or
    ".", and is never empty, "." or "..". Labels with nothing to keep become
    ``class-<8 hex of sha1(label)>``; Windows device names such as "con" get a hash suffix.
    Results are at most :data:`MAX_SLUG_BYTES` bytes of UTF-8: a longer slug is cut on a
    character boundary and given a hash suffix, so long labels sharing a prefix stay distinct.
    """
    slug = "-".join(_words(label))
    if not slug:
        return f"class-{_digest(label, 8)}"
    if slug in _WINDOWS_RESERVED:
        return f"{slug}-{_digest(label, 6)}"
    if len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        return _with_suffix(slug, _digest(label, 8))
    return slug


def unique_slugs(labels: Iterable[str]) -> dict[str, str]:
    """Map each distinct label to its own slug, in the order the labels come.

    The first label to claim a slug keeps it; a later label whose slug is taken ("cat!" after
    "Cat") gets ``<slug>-<6 hex of sha1(label)>``, and a counter in the unlikely case that too is
    taken. The same labels in the same order always give the same mapping.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for label in labels:
        if label in slugs:
            continue
        slug = slugify(label)
        if slug in taken:
            slug = _free_variant(slug, label, taken)
        slugs[label] = slug
        taken.add(slug)
    return slugs


def _words(label: str) -> list[str]:
    """The runs of letters, marks and digits in the normalised, lower-cased label."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).lower())
    kept = "".join(char if unicodedata.category(char)[0] in "LMN" else " " for char in text)
    return kept.split()


def _free_variant(slug: str, label: str, taken: set[str]) -> str:
    variant = _with_suffix(slug, _digest(label, 6))
    counter = 2
    while variant in taken:
        variant = _with_suffix(slug, f"{_digest(label, 6)}-{counter}")
        counter += 1
    return variant


def _with_suffix(slug: str, suffix: str) -> str:
    """Append ``-suffix``, first cutting ``slug`` so the result fits in MAX_SLUG_BYTES."""
    room = MAX_SLUG_BYTES - len(suffix.encode("utf-8")) - 1
    head = slug.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip("-")
    return f"{head}-{suffix}" if head else suffix


def _digest(label: str, length: int) -> str:
    # surrogatepass: labels decoded from odd file names may hold lone surrogates.
    data = label.encode("utf-8", "surrogatepass")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:length]
