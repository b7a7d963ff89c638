"""Image routes for deployment tests: per-label URL lists whose bodies wait for a gate."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from support.images import ImageSet
from support.server import FixtureServer, Response

GATE_TIMEOUT = 15.0  # seconds a held image waits at most (the client's read timeout is 20 s)


def url_lists(
    server: FixtureServer,
    images: ImageSet,
    root: Path,
    labels: str,
    gate: threading.Event | None = None,
    per_label: int = 2,
) -> dict[str, list[str]]:
    """One URL list per label (so one chunk each) of distinct pictures, held back by ``gate``."""
    pictures = iter(images.jpegs)
    lists = {}
    for label in labels:
        urls = [
            server.add_sequence(
                server.unique_path(f"{label}{number}.jpg"), [_held(next(pictures), gate)]
            )
            for number in range(per_label)
        ]
        (root / f"{label}.txt").write_text("\n".join(urls) + "\n")
        lists[label] = urls
    return lists


def _held(picture: bytes, gate: threading.Event | None) -> Response:
    if gate is None:
        return Response(body=picture)

    def body() -> Iterator[bytes]:
        gate.wait(GATE_TIMEOUT)  # headers are out; the body waits for the test
        yield picture

    return Response(stream=body, chunked=True)


def sources(root: Path, lists: dict[str, list[str]]) -> list[Path]:
    return [root / f"{label}.txt" for label in lists]


def all_urls(lists: dict[str, list[str]]) -> list[str]:
    return [url for urls in lists.values() for url in urls]


def downloading(server: FixtureServer, urls: list[str]) -> Callable[[], bool]:
    """Whether every URL was requested (and, behind a closed gate, is being held)."""
    return lambda: all(server.count(url) for url in urls)
