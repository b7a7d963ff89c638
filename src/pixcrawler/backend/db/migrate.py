"""Schema migrations (Alembic, configured in code): ``upgrade(url)`` brings a database to head.

The migration scripts ship inside the package (``migrations/``), so an installed wheel can
migrate its own database: ``python -c "from pixcrawler.backend.db.migrate import upgrade;
upgrade('postgresql://…')"``. To write the next revision after changing ``models.py``, run
:func:`autogenerate_revision` against an up-to-date database, then review the file.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, Connection, Engine, create_engine, pool, text
from sqlalchemy.exc import SQLAlchemyError

from pixcrawler.backend.db.errors import is_connection_failure, translate_connection_errors
from pixcrawler.backend.db.session import connect_timeout_args, make_engine, parse_database_url
from pixcrawler.utility.logging_config import get_logger

if TYPE_CHECKING:
    from alembic.config import Config

logger = get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The newest revision in ``migrations/versions`` (a test checks it is Alembic's head): a
#: database already there needs no Alembic at all, which saves a client a tenth of a second.
HEAD_REVISION = "0003"


def is_current(engine: Engine) -> bool:
    """Whether the database is at :data:`HEAD_REVISION` (False: no version table yet).

    Raises:
        DatabaseConnectionError: the database is unreachable; asked once, not again by a
            migration that would wait out the same connect timeout.
    """
    with translate_connection_errors():
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SELECT version_num FROM alembic_version"))
                return [row[0] for row in version] == [HEAD_REVISION]
        except SQLAlchemyError as exc:
            if is_connection_failure(exc):
                raise
            return False  # no version table yet: upgrade() creates it


def ensure_current(url: str) -> None:
    """Migrate the database at ``url`` to head if needed, over a connection closed afterwards.

    For a process about to fork workers (which must not inherit pooled connections): it learns
    at once, in one line, that the database is unreachable or its URL is bad.

    Raises:
        DatabaseConnectionError: the URL is bad or the database is unreachable.
    """
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        if not is_current(engine):
            upgrade(url)
    finally:
        engine.dispose()


def alembic_config(url: str | None = None, *, connection: Connection | None = None) -> "Config":
    """An Alembic configuration for our scripts, targeting ``url`` or an open ``connection``.

    The URL travels in ``config.attributes`` rather than the ini options, so ``%`` in a
    password needs no escaping.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` against ``url`` (an empty database gets every table).

    Raises:
        DatabaseConnectionError: the database is unreachable.
    """
    logger.bind(operation="database_migration", revision=revision).info("migrating database")
    from alembic import command

    with translate_connection_errors(), _migration_connection(url) as connection:
        command.upgrade(alembic_config(url, connection=connection), revision)


def downgrade(url: str, revision: str) -> None:
    """Run ``alembic downgrade <revision>`` against ``url`` (``"base"`` drops every table).

    Raises:
        DatabaseConnectionError: the database is unreachable.
    """
    logger.bind(operation="database_migration", revision=revision).info("downgrading database")
    from alembic import command

    with translate_connection_errors(), _migration_connection(url) as connection:
        command.downgrade(alembic_config(url, connection=connection), revision)


@contextmanager
def _migration_connection(url: str) -> Iterator[Connection]:
    """One transaction on a plain engine with the job engine's connect timeout.

    Plain: no SQLite foreign-key pragma, which would cascade through batch-mode table copies.
    """
    parsed = parse_database_url(url)
    engine = create_engine(
        parsed, poolclass=pool.NullPool, connect_args=connect_timeout_args(parsed)
    )
    try:
        with _sqlite_file_lock(parsed), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held to the end of this transaction: a second migrator waits, then finds the
                # first one's head revision and has nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            yield connection
    finally:
        engine.dispose()


#: The advisory-lock key that serialises migrations of one PostgreSQL database ("pixc").
_LOCK_KEY = 0x70697863


@contextmanager
def _sqlite_file_lock(url: URL) -> Iterator[None]:
    """An exclusive lock beside a SQLite file, so a worker and a client starting together on a
    fresh database do not both create its tables ("table users already exists")."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(f"{url.database}.migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def autogenerate_revision(url: str, message: str) -> None:
    """Write a new revision into ``migrations/versions`` from the models' difference to ``url``."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)
