"""``Client``: the PixCrawler API from Python (httpx), with the one retry policy.

Only what the seed calls transient is retried (429 honouring ``Retry-After``, 503, 504,
timeouts, network errors; 3 attempts, ``pixcrawler.retry``); everything else raises at once.
"""

import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from pixcrawler.client._errors import error_for
from pixcrawler.errors import NetworkError, TimeoutException
from pixcrawler.retry import NETWORK_RETRY_SYNC

FINISHED = frozenset({"completed", "failed", "cancelled"})


class Client:
    """A PixCrawler API client.

    Example::

        client = Client("http://127.0.0.1:8000", api_key="pxc_…")
        job = client.create_job({"kind": "keywords", "keywords": ["fox"],
                                 "engines": ["openverse"], "per_class": 20})
        client.wait(job["id"])
        client.download(job["id"], Path("foxes"))
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:  # fmt: skip
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {api_key}"},
        )  # fmt: skip

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- jobs -------------------------------------------------------------------------------

    def create_job(self, spec: dict[str, Any], *, dataset_id: int | None = None) -> Any:
        """Start a job from a job spec (see ``pixcrawler.builder.jobspec.JobSpec``)."""
        return self._json("POST", "/api/v1/jobs", json={"spec": spec, "dataset_id": dataset_id})

    def list_jobs(self, *, status: str | None = None) -> Iterator[dict[str, Any]]:
        """Every job of the caller, newest first (pages fetched as needed)."""
        return self._pages("/api/v1/jobs", {"status": status} if status else {})

    def get_job(self, job_id: str) -> Any:
        """One job."""
        return self._json("GET", f"/api/v1/jobs/{job_id}")

    def cancel_job(self, job_id: str) -> Any:
        """Cancel a job."""
        return self._json("POST", f"/api/v1/jobs/{job_id}/cancel")

    def retry_job(self, job_id: str) -> Any:
        """Send a job's failed chunks again."""
        return self._json("POST", f"/api/v1/jobs/{job_id}/retry")

    def progress(self, job_id: str) -> Any:
        """The job's progress with per-class counts."""
        return self._json("GET", f"/api/v1/jobs/{job_id}/progress")

    def follow(self, job_id: str) -> Iterator[dict[str, Any]]:
        """Progress events (Server-Sent Events) until the job ends; the last has its status."""
        with self._http.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=None) as answer:
            self._raise_for(answer, streamed=True)
            event = ""
            for line in answer.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    yield {"event": event, **data}
                    if event == "end":
                        return

    def wait(self, job_id: str) -> str:
        """Follow the job until it ends; its final status."""
        status = "unknown"
        for event in self.follow(job_id):
            status = event.get("status", status)
        return status

    # -- images -----------------------------------------------------------------------------

    def list_images(self, job_id: str, *, label: str | None = None,
                    status: str | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
        """The job's images, filtered by class and status."""
        params = {k: v for k, v in (("label", label), ("status", status)) if v is not None}
        return self._pages(f"/api/v1/jobs/{job_id}/images", params)

    def reject(self, job_id: str, image_id: int) -> Any:
        """Take an image out of the dataset."""
        return self._json("POST", f"/api/v1/jobs/{job_id}/images/{image_id}/reject")

    def restore(self, job_id: str, image_id: int) -> Any:
        """Put a rejected image back."""
        return self._json("POST", f"/api/v1/jobs/{job_id}/images/{image_id}/restore")

    # -- exports ----------------------------------------------------------------------------

    def download(self, job_id: str, dest: Path, *, fmt: str = "zip", extract: bool = True,
                 poll: float = 1.0) -> Path:  # fmt: skip
        """Download the job's archive (waiting while it is packaged) and, for a ZIP, extract it
        into ``dest``; returns the archive path, or ``dest`` once extracted."""
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / f"{job_id}.{fmt}"
        while not self._fetch_archive(job_id, fmt, path):
            time.sleep(poll)
        if extract and fmt == "zip":
            with zipfile.ZipFile(path) as archive:
                archive.extractall(dest)  # member names are checked by zipfile (no ../)
            path.unlink()
            return dest
        return path

    @NETWORK_RETRY_SYNC
    def _fetch_archive(self, job_id: str, fmt: str, path: Path) -> bool:
        """One GET of the archive (and its signed redirect): the unit the policy repeats."""
        url = f"/api/v1/jobs/{job_id}/exports/archive/{fmt}"
        with self._translated(), self._http.stream("GET", url) as answer:
            if answer.status_code == 202:
                return False
            if answer.status_code == 307:  # a signed storage URL: no credentials sent there
                target = answer.headers["location"]
                with httpx.stream("GET", target, timeout=None) as signed:
                    signed.raise_for_status()
                    _save(signed, path)
                return True
            self._raise_for(answer, streamed=True)
            _save(answer, path)
        return True

    # -- plumbing ---------------------------------------------------------------------------

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self._json(
                "GET", path, params={**params, **({"cursor": cursor} if cursor else {})}
            )
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    @NETWORK_RETRY_SYNC
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API request: the unit the retry policy repeats."""
        with self._translated():
            answer = self._http.request(method, path, **kwargs)
            self._raise_for(answer)
            return answer.json()

    def _translated(self) -> "_Translate":
        return _Translate()

    @staticmethod
    def _raise_for(answer: httpx.Response, *, streamed: bool = False) -> None:
        if answer.status_code < 400:
            return
        if streamed:
            answer.read()
        try:
            body = answer.json()
        except ValueError:
            body = None
        raise error_for(answer.status_code, body, answer.headers.get("retry-after"))


class _Translate:
    """httpx's transport errors as our transient types, so the one policy retries them."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 _: object) -> None:  # fmt: skip
        if isinstance(exc, httpx.TimeoutException):
            raise TimeoutException("timeout") from exc
        if isinstance(exc, httpx.TransportError):
            raise NetworkError(f"network error: {type(exc).__name__}") from exc


def _save(answer: httpx.Response, path: Path) -> None:
    part = path.with_name(path.name + ".part")
    with part.open("wb") as sink:
        for chunk in answer.iter_bytes(1024 * 1024):
            sink.write(chunk)
    part.replace(path)
