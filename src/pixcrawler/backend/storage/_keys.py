"""Storage keys: validation, joining under a provider prefix, and the files a tree copy skips."""

from pixcrawler.errors import BadRequestError

#: Folder and file suffix a dataset copy leaves behind: build state and half-written files.
STATE_DIR = ".pixcrawler"
PARTIAL_SUFFIX = ".part"


def validate_key(key: str) -> str:
    """Return ``key`` if it is a clean "/"-separated object key.

    Raises:
        BadRequestError: empty, leading "/", empty or "."/".." segments, backslash or control
            characters.
    """
    if not key:
        raise BadRequestError("bad key: empty", url=key)
    if key.startswith("/"):
        raise BadRequestError("bad key: leading '/'", url=key)
    if "\\" in key or any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise BadRequestError("bad key: backslash or control character", url=key)
    for segment in key.split("/"):
        if segment in {"", ".", ".."}:
            raise BadRequestError(f"bad key: segment {segment!r}", url=key)
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is "" or a key, optionally ending in one "/"."""
    if prefix:
        validate_key(prefix.removesuffix("/"))
    return prefix


def join_key(prefix: str, key: str) -> str:
    """``prefix/key``, or ``key`` alone when the prefix is empty."""
    return f"{prefix}/{key}" if prefix else key


def tree_prefix(prefix: str) -> str:
    """The listing prefix of a folder-like ``prefix``: "" stays "", else it ends in one "/"."""
    validate_prefix(prefix)
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def is_skipped(relative: str) -> bool:
    """True for paths a dataset copy leaves out: build state and partial files."""
    parts = relative.split("/")
    return STATE_DIR in parts or parts[-1].endswith(PARTIAL_SUFFIX)
