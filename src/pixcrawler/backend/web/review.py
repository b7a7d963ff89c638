"""The review page: a job's images per class and status, rejected or restored one by one or in
bulk. A rejection goes through the API, which takes the image out of the exports.

With a script the page reviews in place (keyboard, no reload); without one, the same form posts
here and the page comes back with the same class, filter and page.
"""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pixcrawler.backend.web.api_calls import Api, ApiFailure
from pixcrawler.backend.web.job_pages import all_images
from pixcrawler.backend.web.rendering import PREFIX, caller_api, checked_form, page, render

router = APIRouter(prefix=f"{PREFIX}/jobs", include_in_schema=False)

FILTERS = ("kept", "rejected", "duplicate", "invalid", "filtered", "download_failed")
GRID_SIZE = 60
#: Kept rows read to find the images duplicates repeat (the API's largest page, this many).
ORIGINAL_PAGES = 25


@router.get("/{job_id}/review")
@page
async def review_page(
    request: Request, job_id: str, label: str = "", status: str = "kept", cursor: str = ""
) -> Response:
    """The grid of one class (or all) under one filter, one page of it."""
    api = caller_api(request)
    if status not in FILTERS:
        status = "kept"
    progress = await api.get(f"/jobs/{job_id}/progress")
    answer = await api.get(f"/jobs/{job_id}/images", label=label or None, status=status,
                           cursor=cursor or None, limit=GRID_SIZE)  # fmt: skip
    images = answer["items"]
    originals = await _originals(api, job_id, images) if status == "duplicate" else {}
    here = {"label": label, "status": status, "cursor": cursor}
    return render(request, "review.html", title=f"Review {job_id[:8]}", job=progress["job"],
                  classes=[c["label"] for c in progress["classes"]], images=images,
                  originals=originals, filters=FILTERS, label=label, status=status,
                  next_cursor=answer.get("next_cursor"), back=urlencode(here),
                  reviewable=progress["job"]["status"] == "completed")  # fmt: skip


async def _originals(
    api: Api, job_id: str, duplicates: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """For each duplicate with a known original, the kept image it repeats (by duplicate id)."""
    if not any(row.get("duplicate_of") for row in duplicates):
        return {}
    kept = await all_images(api, job_id, ORIGINAL_PAGES, status="kept")
    return originals_of(duplicates, kept)


def originals_of(
    duplicates: list[dict[str, Any]], kept: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Duplicate id -> the kept row whose file its ``duplicate_of`` names (when among ``kept``)."""
    by_name = {_dataset_name(row.get("file_key") or ""): row for row in kept}
    found = {row["id"]: by_name.get(str(row.get("duplicate_of") or "")) for row in duplicates}
    return {image_id: row for image_id, row in found.items() if row is not None}


def _dataset_name(file_key: str) -> str:
    """``jobs/<id>/dataset/images/a/b.jpg`` -> ``images/a/b.jpg``, as ``duplicate_of`` names it."""
    head, marker, tail = file_key.partition("/dataset/")
    return tail if marker else head


@router.post("/{job_id}/review")
@page
async def review_post(request: Request, job_id: str) -> Response:
    """Reject or restore the ticked images, then show the same grid again."""
    fields = await checked_form(request)
    action = str((fields.get("action") or [""])[0])
    if action not in ("reject", "restore"):
        raise ApiFailure(400, "bad_request", "choose reject or restore")
    api = caller_api(request)
    for value in fields.get("image", []):
        if isinstance(value, str) and value.isdigit():
            await api.post(f"/jobs/{job_id}/images/{int(value)}/{action}")
    back = str((fields.get("back") or [""])[0])
    return RedirectResponse(f"{PREFIX}/jobs/{job_id}/review?{back}", status_code=303)
