"""``/activity``: the caller's own activity log, newest first."""

from fastapi import APIRouter

from pixcrawler.backend.api.deps import CurrentUser, SessionDep
from pixcrawler.backend.api.pagination import Cursor, Limit, encode_cursor, int_cursor
from pixcrawler.backend.api.schemas import ActivityPublic, Page
from pixcrawler.backend.api.v1.common import ERRORS
from pixcrawler.backend.services import list_activity

router = APIRouter(prefix="/activity", tags=["activity"], responses=ERRORS)


@router.get("", response_model=Page[ActivityPublic])
def activity(caller: CurrentUser, session: SessionDep, cursor: Cursor = None,
             limit: Limit = 50) -> Page[ActivityPublic]:  # fmt: skip
    """What the caller did: created, cancelled, rejected, exported, issued or revoked a key."""
    rows = list_activity(session, user_id=caller.user_id, before=int_cursor(cursor), limit=limit)
    items = [ActivityPublic.model_validate(row) for row in rows]
    return Page(items=items, next_cursor=encode_cursor(rows[-1].id) if len(rows) == limit else None)
