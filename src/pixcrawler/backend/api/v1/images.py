"""``/jobs/{job_id}/images``: list with filters, reject / restore one, thumbnail, original."""

import io
from typing import Annotated

from fastapi import APIRouter, Query, Response
from PIL import Image as Picture
from sqlalchemy import select

from pixcrawler.backend.api.delivery import deliver
from pixcrawler.backend.api.deps import ContextDep, CurrentUser, SessionDep, Writer
from pixcrawler.backend.api.pagination import Cursor, Limit, encode_cursor, int_cursor
from pixcrawler.backend.api.problems import ApiError
from pixcrawler.backend.api.schemas import ImagePublic, Page
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import Image, session_scope
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.services import Principal, current_key, owned_image, owned_job, set_rejected

router = APIRouter(prefix="/jobs/{job_id}/images", tags=["images"], responses=ERRORS)

THUMBNAIL_SIDE = 256
#: Status filters: the manifest statuses, plus ``rejected`` (by a reviewer).
StatusFilter = Annotated[
    str | None,
    Query(pattern="^(kept|download_failed|invalid|filtered|duplicate|rejected)$"),
]


@router.get("", response_model=Page[ImagePublic])
def list_images(job_id: str, caller: CurrentUser, session: SessionDep,
                label: Annotated[str | None, Query(max_length=200)] = None,
                status: StatusFilter = None, cursor: Cursor = None,
                limit: Limit = 100) -> Page[ImagePublic]:  # fmt: skip
    """The job's candidates in the order they were recorded, filtered by class and status."""
    owned_job(session, user_id=caller.user_id, job_id=job_id)
    statement = select(Image).where(Image.job_id == job_id)
    if label is not None:
        statement = statement.where(Image.label == label)
    if status == "rejected":
        statement = statement.where(Image.rejected_at.is_not(None))
    elif status is not None:
        statement = statement.where(Image.status == status, Image.rejected_at.is_(None))
    after = int_cursor(cursor)
    if after is not None:
        statement = statement.where(Image.id > after)
    rows = list(session.scalars(statement.order_by(Image.id).limit(limit)))
    items = [_public(row) for row in rows]
    return Page(items=items, next_cursor=encode_cursor(rows[-1].id) if len(rows) == limit else None)


@router.get("/{image_id}", response_model=ImagePublic)
def get_image(job_id: str, image_id: int, caller: CurrentUser, session: SessionDep) -> ImagePublic:
    """One image row."""
    return _public(owned_image(session, user_id=caller.user_id, job_id=job_id, image_id=image_id))


@router.post("/{image_id}/reject", response_model=ImagePublic)
def reject(job_id: str, image_id: int, caller: Writer, context: ContextDep) -> ImagePublic:
    """Take a kept image out of the dataset: labels and archives are made again without it."""
    return _review(context, caller, job_id, image_id, rejected=True)


@router.post("/{image_id}/restore", response_model=ImagePublic)
def restore(job_id: str, image_id: int, caller: Writer, context: ContextDep) -> ImagePublic:
    """Put a rejected image back into the dataset."""
    return _review(context, caller, job_id, image_id, rejected=False)


@router.get("/{image_id}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})  # fmt: skip
def thumbnail(job_id: str, image_id: int, caller: CurrentUser, context: ContextDep) -> Response:
    """A JPEG at most 256 px on its longer side."""
    data = context.storage.get(_file_key(context, caller.user_id, job_id, image_id))
    with Picture.open(io.BytesIO(data)) as picture:
        picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=85)
    return Response(out.getvalue(), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip


@router.get(
    "/{image_id}/original",
    response_class=Response,
    responses={200: {"content": {"image/*": {}}}, 307: {"description": "signed URL"}},
)
def original(job_id: str, image_id: int, caller: CurrentUser, context: ContextDep) -> Response:
    """The stored file as downloaded (a redirect to a signed URL on cloud storage)."""
    key = _file_key(context, caller.user_id, job_id, image_id)
    return deliver(context.storage, key, filename=key.rsplit("/", 1)[-1])


def _file_key(context: JobContext, user_id: int, job_id: str, image_id: int) -> str:
    with session_scope(context.sessions) as session:
        image = owned_image(session, user_id=user_id, job_id=job_id, image_id=image_id)
        key = current_key(image)
    if key is None:
        raise ApiError(404, "not_found", "this image has no stored file")
    return key


def _review(context: JobContext, caller: Principal, job_id: str, image_id: int,
            rejected: bool) -> ImagePublic:  # fmt: skip
    image = set_rejected(context, user_id=caller.user_id, job_id=job_id, image_id=image_id,
                         rejected=rejected)  # fmt: skip
    with session_scope(context.sessions) as session:
        action = "image.reject" if rejected else "image.restore"
        note(session, caller, action, f"image {image_id} of job {job_id}")
    return _public(image)


def _public(image: Image) -> ImagePublic:
    return ImagePublic(
        id=image.id, url=image.url, label=image.label, status=image.status, reason=image.reason,
        rejected=image.rejected_at is not None, source=image.source, sha256=image.sha256,
        width=image.width, height=image.height, format=image.format, license=image.license,
        attribution=image.attribution, file_key=image.file_key,
    )  # fmt: skip
