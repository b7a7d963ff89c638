"""Engines and sessions for the job database (SQLite by default, PostgreSQL in production)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from pixcrawler.backend.db.errors import translate_connection_errors
from pixcrawler.errors import DatabaseConnectionError

#: Seconds a SQLite writer waits for the lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 30.0
#: Seconds PostgreSQL gets to accept a connection, unless the URL sets ``connect_timeout``.
POSTGRES_CONNECT_TIMEOUT = 10

SessionFactory = sessionmaker[Session]


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings its backend needs under concurrent workers.

    SQLite: WAL journal (readers never block the writer), foreign keys enforced, usable from any
    thread, and writers wait :data:`SQLITE_BUSY_TIMEOUT` for the lock. PostgreSQL: connections
    are pinged before use, so a database restart costs one reconnect instead of a failed task.

    Args:
        url: a SQLAlchemy URL, e.g. ``Settings.resolved_database_url()``.
        kwargs: passed on to :func:`sqlalchemy.create_engine`.

    Raises:
        DatabaseConnectionError: ``url`` is not a URL SQLAlchemy can use (malformed, an unknown
            scheme or driver, a bad IPv6 literal); the message names the setting.
    """
    parsed = parse_database_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, **kwargs)
        if parsed.get_backend_name() == "postgresql":
            kwargs.setdefault("pool_pre_ping", True)
        connect_args = {**connect_timeout_args(parsed), **kwargs.pop("connect_args", {})}
        return create_engine(parsed, connect_args=connect_args, **kwargs)
    except (ArgumentError, ImportError, ValueError) as exc:  # unknown dialect or driver
        raise _bad_url(exc) from exc


def parse_database_url(url: str | URL) -> URL:
    """``url`` parsed; raises :class:`DatabaseConnectionError` naming the setting if it is bad."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - "[::1" parses, and fails only when its port is read
    except (ArgumentError, ValueError) as exc:
        raise _bad_url(exc) from exc
    return parsed


def connect_timeout_args(url: URL) -> dict[str, Any]:
    """The driver arguments that bound a connection attempt (PostgreSQL's connect timeout).

    Every connection to the job database uses them, migrations included: a host that accepts
    the TCP connection and never answers would otherwise hold a command forever.
    """
    if url.get_backend_name() != "postgresql" or "connect_timeout" in url.query:
        return {}
    return {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}


def _bad_url(exc: Exception) -> DatabaseConnectionError:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DatabaseConnectionError(f"bad PIXCRAWLER_DATABASE_URL ({detail})")


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    in_memory = url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # Safe under WAL (no corruption on power loss) and spares an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cursor.close()

    return engine


def session_factory(url: str | URL | Engine) -> SessionFactory:
    """A session factory bound to ``url`` (or an existing engine).

    Objects stay readable after commit (``expire_on_commit=False``): a task or route can return
    the job it just saved without another round trip.
    """
    engine = url if isinstance(url, Engine) else make_engine(url)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back if it raises.

    Raises:
        DatabaseConnectionError: the database could not be reached (on connect, during the
            block or at commit), raised ``from`` the SQLAlchemy error.
    """
    with translate_connection_errors(), factory() as session, session.begin():
        yield session
