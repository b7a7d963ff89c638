"""Answer with a file in storage: a redirect to a signed URL where the provider can sign, else
the bytes, streamed (a local file directly; a cloud object through a temporary copy)."""

import tempfile
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from pixcrawler.backend.storage import StorageProvider
from pixcrawler.errors import NotFoundError

#: Seconds a signed download URL stays valid.
SIGNED_URL_SECONDS = 900


def deliver(storage: StorageProvider, key: str, *, filename: str,
            media_type: str | None = None) -> Response:  # fmt: skip
    """The response that hands ``key`` to the client as ``filename``.

    Raises:
        NotFoundError: nothing is stored at ``key``.
    """
    if not storage.exists(key):
        raise NotFoundError(f"no export at {key}")
    url = storage.url(key, expires=SIGNED_URL_SECONDS)
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(url2pathname(parts.path))
        return FileResponse(path, media_type=media_type, filename=filename)
    if parts.scheme in ("http", "https") and parts.query:  # SAS or presigned: signed
        return RedirectResponse(url, status_code=307)
    folder = tempfile.mkdtemp(prefix="pixcrawler-export-")
    path = Path(folder) / "file"
    storage.download(key, path)
    cleanup = BackgroundTask(_remove, Path(folder))
    return FileResponse(path, media_type=media_type, filename=filename, background=cleanup)


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()
