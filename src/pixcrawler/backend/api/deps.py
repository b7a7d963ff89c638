"""Dependencies every route shares: the job context, a session, the authenticated caller.

``Authorization: Bearer <token>``: a ``pxc_…`` value is an API key, anything else a Supabase
access token. The caller lands on ``request.state.principal`` for the rate limiter and logs.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from pixcrawler.backend.api.problems import ApiError
from pixcrawler.backend.api.tokens import InvalidToken, SupabaseVerifier
from pixcrawler.backend.db import session_scope
from pixcrawler.backend.db.api_keys import KEY_PREFIX
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.services import Principal, principal_for_key, user_for_subject
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_context(request: Request) -> JobContext:
    """The app's job context (database, storage, settings)."""
    context: JobContext = request.app.state.context
    return context


ContextDep = Annotated[JobContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """One transaction around the route: committed when it returns, rolled back if it raises."""
    with session_scope(context.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers=_CHALLENGE)


def authenticate(request: Request, context: ContextDep) -> Principal:
    """The caller named by the bearer token.

    Raises:
        ApiError: 401 for a missing, malformed, unknown, revoked or invalid credential.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("missing bearer token")
    token = token.strip()
    with session_scope(context.sessions) as session:
        principal = _principal(session, request.app.state.verifier, token)
    request.state.principal = principal
    logger.bind(user_id=principal.user_id).debug("caller authenticated")
    return principal


def _principal(session: Session, verifier: SupabaseVerifier, token: str) -> Principal:
    if token.startswith(KEY_PREFIX):
        principal = principal_for_key(session, raw_key=token)
        if principal is None:
            raise _unauthorized("unknown or revoked API key")
        return principal
    if not verifier.configured:
        raise _unauthorized("invalid credentials")
    try:
        identity = verifier.verify(token)
    except InvalidToken as exc:
        logger.bind(operation="authentication", error=str(exc)).info("token refused")
        raise _unauthorized("invalid or expired token") from exc
    user = user_for_subject(session, subject=identity.subject, email=identity.email)
    return Principal(user.id, user.role, frozenset({"read", "write"}))


CurrentUser = Annotated[Principal, Depends(authenticate)]


def require_write(principal: CurrentUser) -> Principal:
    """The caller, if it may change things (``write`` scope)."""
    if not principal.may("write"):
        raise ApiError(403, "forbidden", "this API key has read scope only")
    return principal


Writer = Annotated[Principal, Depends(require_write)]
