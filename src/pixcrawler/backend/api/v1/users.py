"""``/users/me``: the signed-in user."""

from fastapi import APIRouter

from pixcrawler.backend.api.deps import CurrentUser, SessionDep
from pixcrawler.backend.api.schemas import UserPublic
from pixcrawler.backend.api.v1.common import ERRORS
from pixcrawler.backend.db import User

router = APIRouter(prefix="/users", tags=["users"], responses=ERRORS)


@router.get("/me", response_model=UserPublic)
def me(caller: CurrentUser, session: SessionDep) -> User:
    """Who the credentials belong to."""
    user = session.get(User, caller.user_id)
    assert user is not None  # authentication just read it
    return user
