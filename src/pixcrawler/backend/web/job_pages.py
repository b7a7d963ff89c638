"""Dashboard pages of one job: progress and funnel, actions, the live event stream, downloads."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pixcrawler.backend.web.api_calls import Api, ApiFailure
from pixcrawler.backend.web.funnel import summarize_rows
from pixcrawler.backend.web.rendering import PREFIX, caller_api, checked_form, page, render

router = APIRouter(prefix=f"{PREFIX}/jobs", include_in_schema=False)

#: Rows the funnel reads per job page (the API's largest page, times this many pages).
FUNNEL_PAGES = 25
API_PAGE = 200
ACTIONS = ("cancel", "retry", "resume")
#: Every download the dashboard offers: name -> (button label, API path below the job's
#: ``/exports``, query). WebDataset is a list of shards, shown as a page of links.
DOWNLOADS: dict[str, tuple[str, str, dict[str, str]]] = {
    "zip": ("ZIP", "/archive/zip", {}),
    "7z": ("7z", "/archive/7z", {}),
    "tar.zst": ("tar.zst", "/archive/tar.zst", {}),
    "metadata.jsonl": ("Metadata JSONL", "/metadata", {"format": "jsonl"}),
    "metadata.csv": ("Metadata CSV", "/metadata", {"format": "csv"}),
    "metadata.parquet": ("Metadata Parquet", "/metadata", {"format": "parquet"}),
    "report": ("Report (HTML)", "/report", {}),
    "webdataset": ("WebDataset shards", "/webdataset", {}),
}
OPEN_STATUSES = ("pending", "running")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; sandbox"


async def all_images(api: Api, job_id: str, pages: int, **filters: Any) -> list[dict[str, Any]]:
    """The job's image rows through the API's pages, at most ``pages`` of them."""
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(pages):
        answer = await api.get(f"/jobs/{job_id}/images", limit=API_PAGE, cursor=cursor, **filters)
        rows += answer["items"]
        cursor = answer.get("next_cursor")
        if not cursor:
            break
    return rows


@router.get("/{job_id}")
@page
async def job_page(request: Request, job_id: str) -> Response:
    """Progress per class, the funnel per class and per engine, reasons, retries and actions."""
    api = caller_api(request)
    progress = await api.get(f"/jobs/{job_id}/progress")
    rows = await all_images(api, job_id, FUNNEL_PAGES)
    summary = summarize_rows(rows)
    job = progress["job"]
    return render(request, "job.html", title=f"Job {job_id[:8]}", job=job, progress=progress,
                  summary=summary, truncated=len(rows) >= FUNNEL_PAGES * API_PAGE,
                  live=job["status"] in OPEN_STATUSES, actions=ACTIONS,
                  downloads=DOWNLOADS)  # fmt: skip


@router.get("/{job_id}/events")
@page
async def job_events(request: Request, job_id: str) -> Response:
    """The API's progress event stream, for the page's ``EventSource`` (same-origin cookie)."""
    return await caller_api(request).forward(f"/jobs/{job_id}/events")


@router.post("/{job_id}/{action}")
@page
async def job_action(request: Request, job_id: str, action: str) -> Response:
    """Cancel, retry or resume the job, then show it again."""
    await checked_form(request)
    if action not in ACTIONS:
        raise ApiFailure(404, "not_found", f"no action {action!r}")
    await caller_api(request).post(f"/jobs/{job_id}/{action}")
    return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)


@router.get("/{job_id}/images/{image_id}/thumbnail")
@page
async def thumbnail(request: Request, job_id: str, image_id: int) -> Response:
    """A kept image's thumbnail, as the API makes it."""
    return await caller_api(request).forward(f"/jobs/{job_id}/images/{image_id}/thumbnail")


@router.get("/{job_id}/download/{export}")
@page
async def download(request: Request, job_id: str, export: str) -> Response:
    """One export, streamed from the API; while an archive is being packaged, a waiting page."""
    if export not in DOWNLOADS:
        raise ApiFailure(404, "not_found", f"no export {export!r}")
    _, path, query = DOWNLOADS[export]
    api = caller_api(request)
    if export == "webdataset":
        shards = (await api.get(f"/jobs/{job_id}/exports/webdataset"))["shards"]
        return render(request, "shards.html", title="WebDataset shards", job_id=job_id,
                      shards=shards)  # fmt: skip
    return await _delivered(request, api, job_id, export, f"/jobs/{job_id}/exports{path}", query)


@router.get("/{job_id}/download/webdataset/{shard}")
@page
async def download_shard(request: Request, job_id: str, shard: str) -> Response:
    """One WebDataset shard (the API only serves the names it lists)."""
    api = caller_api(request)
    path = f"/jobs/{job_id}/exports/webdataset/{quote(shard, safe='')}"
    return await _delivered(request, api, job_id, "webdataset", path, {})


async def _delivered(request: Request, api: Api, job_id: str, export: str, path: str,
                     query: dict[str, str]) -> Response:  # fmt: skip
    answer = await api.forward(path, **query)
    if answer.status_code == 202:
        await answer.body_iterator.aclose()  # type: ignore[attr-defined]
        return render(request, "packaging.html", 202, title="Packaging", job_id=job_id,
                      export=export)  # fmt: skip
    if answer.status_code >= 400:
        await answer.body_iterator.aclose()  # type: ignore[attr-defined]
        raise ApiFailure(answer.status_code, "error", "this export is not available")
    if export == "report":  # self-contained: inline styles and embedded images, no script
        answer.headers["content-security-policy"] = REPORT_CSP
        answer.headers["content-disposition"] = 'inline; filename="report.html"'  # shown
    return answer
