"""An Azure transport whose body reads are tried once: our retry policy is the only layer.

``retry_total=0`` switches off the SDK's retry *policy*, but not the read loop inside
``StorageStreamDownloader`` (``azure.storage.blob._download``): a body that breaks off is
requested again up to 3 times, 1 s apart, and its final failure then reaches our policy, which
retries it too — 9 GETs for a body cut every time. Here a failed body read leaves the SDK as a
:class:`BodyReadError`, which its loop does not catch; ``translate_azure_error`` maps it by its
cause, and the Tenacity policy makes the 3 attempts.
"""

from collections.abc import Callable, Iterator
from typing import Any

from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import RequestsTransport

#: What the SDK's read loop catches and retries (``_download.py``, azure-storage-blob 12.x).
_READ_ERRORS = (IncompleteReadError, HttpResponseError, DecodeError, ServiceResponseError)


class BodyReadError(Exception):
    """A blob body read failed; its ``__cause__`` is the SDK's error."""


class _SingleReadStream:
    """The SDK's body iterator, with read failures raised past the SDK's own read loop."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.response = inner.response  # the downloader reads headers through it

    def __len__(self) -> int:
        return len(self._inner)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            chunk: bytes = next(self._inner)
        except _READ_ERRORS as error:
            raise BodyReadError(str(error)) from error
        return chunk


class SingleReadTransport(RequestsTransport):  # type: ignore[misc] # lazy export: Any
    """``RequestsTransport`` whose streamed bodies raise :class:`BodyReadError` on a cut."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = super().send(request, **kwargs)
        # azure-core's rest responses (what the Blob SDK gets) build their body iterator with
        # this factory; wrapping it covers ``stream_download`` and ``iter_bytes`` alike. The
        # cut-body tests (tests/storage/test_storage_cut_bodies.py) fail if it ever moves.
        inner = getattr(response, "_stream_download_generator", None)
        if inner is not None:
            response._stream_download_generator = _wrapping(inner)
        return response


def _wrapping(factory: Callable[..., Any]) -> Callable[..., Any]:
    def single_read(*args: Any, **kwargs: Any) -> _SingleReadStream:
        return _SingleReadStream(factory(*args, **kwargs))

    return single_read
