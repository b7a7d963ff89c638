"""API keys are shown once and stored only as a hash."""

import secrets

from sqlalchemy import select

from pixcrawler.backend.db import (
    ApiKey,
    User,
    create_api_key,
    find_api_key,
    hash_api_key,
    revoke_api_key,
    session_scope,
)
from pixcrawler.backend.db.session import SessionFactory


def new_user(factory: SessionFactory) -> int:
    with session_scope(factory) as session:
        user = User(email=f"{secrets.token_hex(4)}@example.org")
        session.add(user)
        session.flush()
        return user.id


def test_the_raw_key_is_never_stored(factory: SessionFactory) -> None:
    user_id = new_user(factory)
    with session_scope(factory) as session:
        row, raw_key = create_api_key(session, user_id=user_id, name="ci")

    with session_scope(factory) as session:
        stored = session.execute(select(ApiKey).where(ApiKey.id == row.id)).scalar_one()
        values = [str(getattr(stored, column.key)) for column in ApiKey.__table__.columns]
    assert all(raw_key not in value for value in values)
    assert stored.key_hash == hash_api_key(raw_key) != raw_key
    assert raw_key.startswith(stored.prefix) and len(stored.prefix) < len(raw_key) // 3


def test_a_key_is_found_by_its_raw_value_until_revoked(factory: SessionFactory) -> None:
    user_id = new_user(factory)
    with session_scope(factory) as session:
        row, raw_key = create_api_key(session, user_id=user_id, name="laptop")

    with session_scope(factory) as session:
        found = find_api_key(session, raw_key=raw_key)
        assert found is not None and found.id == row.id
        assert find_api_key(session, raw_key=raw_key + "x") is None
        assert revoke_api_key(session, api_key_id=row.id)
        assert not revoke_api_key(session, api_key_id=row.id)
        assert find_api_key(session, raw_key=raw_key) is None


def test_hashing_is_deterministic_and_hex() -> None:
    assert hash_api_key("pxc_abc") == hash_api_key("pxc_abc")
    assert len(hash_api_key("pxc_abc")) == 64 and int(hash_api_key("pxc_abc"), 16) >= 0
