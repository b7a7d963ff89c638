"""What the v1 routers share: documented error answers and the activity shorthand."""

from typing import Any

from sqlalchemy.orm import Session

from pixcrawler.backend.api.context import current_request_id
from pixcrawler.backend.api.schemas import ErrorBody
from pixcrawler.backend.services import Principal, record_activity

#: Error answers every authenticated route documents.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "no valid credentials"), (403, "scope or limit refuses it"),
        (404, "no such resource, or not yours"), (422, "invalid request"),
        (429, "rate or per-user limit reached"),
    )
}  # fmt: skip


def note(session: Session, caller: Principal, action: str, target: str) -> None:
    """Record ``action`` on ``target`` in the caller's activity log."""
    record_activity(session, user_id=caller.user_id, action=action, target=target,
                    request_id=current_request_id())  # fmt: skip
