"""The job database's boundary: SQLAlchemy connection failures become ``DatabaseConnectionError``.

Only failures to reach the database are translated (so the task layer retries them); every other
database error (integrity, syntax, a lock timeout) propagates unchanged, because retrying the same
statement gives the same answer.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from pixcrawler.errors import DatabaseConnectionError
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

# PostgreSQL SQLSTATEs that mean "no usable connection": class 08 (connection exception),
# administrator/crash shutdown, "cannot connect now" (starting up) and too many connections.
_CONNECTION_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached or dropped the connection."""
    if isinstance(exc, DisconnectionError):
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith("08") or sqlstate in _CONNECTION_SQLSTATES
    # Raised while connecting, before any statement ran: refused, unknown host, no such file.
    return exc.statement is None


@contextmanager
def translate_connection_errors() -> Iterator[None]:
    """Re-raise connection failures inside the block as :class:`DatabaseConnectionError`.

    Raises:
        DatabaseConnectionError: the database is unreachable, raised ``from`` the original.
    """
    try:
        yield
    except (DBAPIError, DisconnectionError) as exc:
        if not is_connection_failure(exc):
            raise
        reason = _reason(exc)
        logger.bind(operation="database", error_type=type(exc).__name__, error=reason).warning(
            "database connection failed"
        )
        raise DatabaseConnectionError(reason) from exc


def _reason(exc: DBAPIError | DisconnectionError) -> str:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"database unreachable: {first_line or type(original).__name__}"
