"""API keys: issued once in the clear, stored only as a SHA-256 digest and a display prefix.

A fast unsalted hash is right here (unlike passwords): keys are 256-bit random tokens, so no
dictionary or brute-force attack applies, and a lookup by digest is one indexed equality.
"""

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db._statements import execute_update
from pixcrawler.backend.db.models import ApiKey

KEY_PREFIX = "pxc_"
_PREFIX_LENGTH = len(KEY_PREFIX) + 6


def generate_api_key() -> str:
    """A new random key, ``pxc_`` + 43 URL-safe characters (32 random bytes)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(raw_key: str) -> str:
    """The hex SHA-256 of ``raw_key``: what the ``api_keys`` table stores instead of the key."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, *, user_id: int, name: str) -> tuple[ApiKey, str]:
    """Issue a key for ``user_id``.

    Returns:
        The stored row and the raw key; show the raw key to the user once, it is not kept.
    """
    raw_key = generate_api_key()
    row = ApiKey(
        user_id=user_id, name=name, key_hash=hash_api_key(raw_key), prefix=raw_key[:_PREFIX_LENGTH]
    )
    session.add(row)
    session.flush()
    return row, raw_key


def find_api_key(session: Session, *, raw_key: str) -> ApiKey | None:
    """The live (not revoked) key row matching ``raw_key``, or None."""
    # Comparing digests, not keys: timing can leak at most a prefix of a hash nobody can invert.
    digest = hash_api_key(raw_key)
    statement = select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    return session.scalars(statement).first()


def revoke_api_key(session: Session, *, api_key_id: int) -> bool:
    """Revoke a key; whether it was live until now."""
    live = update(ApiKey).where(ApiKey.id == api_key_id, ApiKey.revoked_at.is_(None))
    return bool(execute_update(session, live.values(revoked_at=utcnow())))
