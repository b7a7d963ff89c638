"""Who is calling: users made on first sight of a sign-in, API keys with scopes, the local admin."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pixcrawler.backend.db import ApiKey, User, create_api_key, find_api_key, utcnow
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

SCOPES = ("read", "write", "admin")
#: The file in the data directory that says the local admin key was issued (it holds no key).
ADMIN_MARKER = "admin-key-issued"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request: a user, what it may do, and the key it used (if any)."""

    user_id: int
    role: str
    scopes: frozenset[str]
    api_key_id: int | None = None

    def may(self, scope: str) -> bool:
        """Whether the caller holds ``scope`` (``admin`` implies ``write``, ``write`` ``read``)."""
        implied = {"read": {"read", "write", "admin"}, "write": {"write", "admin"}}
        return bool(self.scopes & implied.get(scope, {scope}))


def parse_scopes(scopes: list[str] | tuple[str, ...]) -> str:
    """``scopes`` checked and stored as a comma-separated string.

    Raises:
        ValueError: an unknown scope, or none at all.
    """
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {unknown or 'none'}")
    return ",".join(scope for scope in SCOPES if scope in scopes)


def user_for_subject(session: Session, *, subject: str, email: str | None) -> User:
    """The user a sign-in's ``sub`` names, created on first sight."""
    user = session.scalars(select(User).where(User.auth_subject == subject)).first()
    if user is not None:
        return user
    address = email or f"{subject}@users.invalid"
    # The address may be taken (a local user, or an earlier sign-in with another subject):
    # identity is the subject, so the address only records who it was.
    if session.scalars(select(User.id).where(User.email == address)).first() is not None:
        address = f"{subject}@users.invalid"
    user = User(email=address, auth_subject=subject, name=(email or "").split("@")[0])
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # a concurrent first request made it
        return session.scalars(select(User).where(User.auth_subject == subject)).one()
    logger.bind(operation="user_creation", user_id=user.id).info("user created on first sign-in")
    return user


def principal_for_key(session: Session, *, raw_key: str) -> Principal | None:
    """The caller a live API key names, its last-used time updated; None for no such key."""
    key = find_api_key(session, raw_key=raw_key)
    if key is None:
        return None
    session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=utcnow()))
    role = session.scalars(select(User.role).where(User.id == key.user_id)).one()
    return Principal(key.user_id, role, frozenset(key.scopes.split(",")), api_key_id=key.id)


def issue_key(session: Session, *, user_id: int, name: str, scopes: str) -> tuple[ApiKey, str]:
    """A new key for ``user_id`` with ``scopes``; the raw key is returned once, never stored."""
    row, raw = create_api_key(session, user_id=user_id, name=name)
    row.scopes = scopes
    session.flush()
    return row, raw


def ensure_local_admin(session: Session, data_dir: Path) -> str | None:
    """On a first start without Supabase: a local admin user and key; the raw key, or None if
    one was issued before (only its hash is kept, in the job database)."""
    marker = data_dir / ADMIN_MARKER
    if marker.exists():
        return None
    admin = session.scalars(select(User).where(User.email == "admin@localhost")).first()
    if admin is None:
        admin = User(email="admin@localhost", name="admin", role="admin")
        session.add(admin)
        session.flush()
    _, raw = issue_key(session, user_id=admin.id, name="local admin", scopes="read,write,admin")
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("the local admin API key was printed once; revoke it through the API\n")
    return raw
