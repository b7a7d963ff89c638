"""Engines fit their backend, sessions commit or roll back, and unreachable means one error type."""

import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from pixcrawler.backend.db import User, make_engine, session_factory, session_scope
from pixcrawler.backend.db.errors import is_connection_failure
from pixcrawler.backend.db.migrate import upgrade
from pixcrawler.backend.db.session import SessionFactory
from pixcrawler.errors import DatabaseConnectionError, InfrastructureError

CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:1/test?connect_timeout=2"


def test_sqlite_engine_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_postgres_engine_pings_connections_before_use() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")

    assert engine.pool._pre_ping
    engine.dispose()


def test_session_scope_commits_on_success(factory: SessionFactory) -> None:
    with session_scope(factory) as session:
        session.add(User(email="commit@example.org"))

    with session_scope(factory) as session:
        assert session.scalar(select(User.email).where(User.email == "commit@example.org"))


def test_session_scope_rolls_back_on_error(factory: SessionFactory) -> None:
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        session.add(User(email="rollback@example.org"))
        session.flush()
        raise RuntimeError("boom")

    with session_scope(factory) as session:
        assert session.scalar(select(User).where(User.email == "rollback@example.org")) is None


def test_other_database_errors_propagate_untranslated(factory: SessionFactory) -> None:
    with session_scope(factory) as session:
        session.add(User(email="twice@example.org"))

    with pytest.raises(IntegrityError), session_scope(factory) as session:
        session.add(User(email="twice@example.org"))


def test_a_closed_port_raises_database_connection_error_quickly() -> None:
    sessions = session_factory(CLOSED_PORT_URL)
    started = time.monotonic()

    with pytest.raises(DatabaseConnectionError) as caught, session_scope(sessions) as session:
        session.execute(select(1))

    assert time.monotonic() - started < 5
    assert isinstance(caught.value, InfrastructureError)
    assert isinstance(caught.value.__cause__, OperationalError)
    assert caught.value.reason.startswith("database unreachable")


def test_migrating_an_unreachable_database_raises_database_connection_error() -> None:
    with pytest.raises(DatabaseConnectionError):
        upgrade(CLOSED_PORT_URL)


def test_an_unopenable_sqlite_file_raises_database_connection_error(tmp_path: Path) -> None:
    sessions = session_factory(f"sqlite:///{tmp_path / 'missing' / 'jobs.sqlite'}")

    with pytest.raises(DatabaseConnectionError), session_scope(sessions) as session:
        session.execute(select(1))


def test_a_statement_error_is_not_a_connection_failure() -> None:
    locked = OperationalError("UPDATE jobs SET kept = 1", {}, Exception("database is locked"))

    assert not is_connection_failure(locked)
    assert is_connection_failure(OperationalError(None, None, Exception("refused")))
