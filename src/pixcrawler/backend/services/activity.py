"""The activity log: who did what, when, and from which request."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from pixcrawler.backend.db import Activity
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)


def record_activity(
    session: Session, *, user_id: int, action: str, target: str, request_id: str
) -> None:
    """Add one entry (``job.create``, ``image.reject``, ``api_key.revoke``…) to the log."""
    session.add(Activity(user_id=user_id, action=action, target=target, request_id=request_id))
    logger.bind(operation="activity", user_id=user_id, action=action, target=target).info(
        "activity recorded"
    )


def list_activity(
    session: Session, *, user_id: int, before: int | None, limit: int
) -> list[Activity]:
    """The user's entries, newest first, older than id ``before`` when given."""
    statement = select(Activity).where(Activity.user_id == user_id)
    if before is not None:
        statement = statement.where(Activity.id < before)
    return list(session.scalars(statement.order_by(Activity.id.desc()).limit(limit)))
