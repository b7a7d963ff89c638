"""``/api-keys``: keys for scripts and the client, shown once, stored hashed, revocable."""

from fastapi import APIRouter
from sqlalchemy import select

from pixcrawler.backend.api.deps import CurrentUser, SessionDep, Writer
from pixcrawler.backend.api.pagination import Cursor, Limit, encode_cursor, int_cursor
from pixcrawler.backend.api.problems import ApiError, not_found
from pixcrawler.backend.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, Page
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import ApiKey, revoke_api_key
from pixcrawler.backend.services import issue_key, parse_scopes

router = APIRouter(prefix="/api-keys", tags=["api-keys"], responses=ERRORS)


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(body: ApiKeyCreate, caller: Writer, session: SessionDep) -> ApiKeyCreated:
    """Issue a key; the response is the only time the key is shown."""
    try:
        scopes = parse_scopes(body.scopes)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    if "admin" in scopes and not caller.may("admin"):
        raise ApiError(403, "forbidden", "only an admin may issue an admin key")
    row, raw = issue_key(session, user_id=caller.user_id, name=body.name, scopes=scopes)
    note(session, caller, "api_key.create", f"api key {row.id}")
    return ApiKeyCreated(**ApiKeyPublic.model_validate(row).model_dump(), key=raw)


@router.get("", response_model=Page[ApiKeyPublic])
def list_keys(caller: CurrentUser, session: SessionDep, cursor: Cursor = None,
              limit: Limit = 50) -> Page[ApiKeyPublic]:  # fmt: skip
    """The caller's keys (prefixes only), revoked ones included."""
    statement = select(ApiKey).where(ApiKey.user_id == caller.user_id)
    after = int_cursor(cursor)
    if after is not None:
        statement = statement.where(ApiKey.id > after)
    rows = list(session.scalars(statement.order_by(ApiKey.id).limit(limit)))
    items = [ApiKeyPublic.model_validate(row) for row in rows]
    return Page(items=items, next_cursor=encode_cursor(rows[-1].id) if len(rows) == limit else None)


@router.delete("/{key_id}", response_model=ApiKeyPublic)
def revoke_key(key_id: int, caller: Writer, session: SessionDep) -> ApiKey:
    """Revoke a key at once; requests with it answer 401 from now on."""
    statement = select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == caller.user_id)
    row = session.scalars(statement).first()
    if row is None:
        raise not_found("API key")
    revoke_api_key(session, api_key_id=key_id)
    session.refresh(row)
    note(session, caller, "api_key.revoke", f"api key {key_id}")
    return row
