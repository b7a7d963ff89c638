"""Statement helpers shared by the services: backend-specific upserts, counted updates."""

from typing import Any, cast

from sqlalchemy import CursorResult, Update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Insert = postgresql.Insert | sqlite.Insert


def conflict_insert(session: Session, table: Any) -> Insert:
    """The dialect-specific INSERT for ``table``, which offers ``on_conflict_do_*``.

    Raises:
        ValueError: the session is bound to a backend other than SQLite or PostgreSQL.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert for the {dialect!r} database backend (use SQLite or PostgreSQL)")


def execute_update(session: Session, statement: Update) -> int:
    """Run an ``UPDATE`` in the database alone and return how many rows it changed.

    The identity map is not synchronised: callers re-read (``populate_existing``) or expire
    what they hand back, since the database, not a cached object, holds the truth.
    """
    options = statement.execution_options(synchronize_session=False)
    result = cast(CursorResult[Any], session.execute(options))
    return result.rowcount
