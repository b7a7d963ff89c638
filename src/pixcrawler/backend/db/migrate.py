"""Schema migrations (Alembic, configured in code): ``upgrade(url)`` brings a database to head.

The migration scripts ship inside the package (``migrations/``), so an installed wheel can
migrate its own database: ``python -c "from pixcrawler.backend.db.migrate import upgrade;
upgrade('postgresql://…')"``. To write the next revision after changing ``models.py``, run
:func:`autogenerate_revision` against an up-to-date database, then review the file.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from pixcrawler.backend.db.errors import translate_connection_errors
from pixcrawler.utility.logging_config import get_logger

if TYPE_CHECKING:
    from alembic.config import Config

logger = get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The newest revision in ``migrations/versions`` (a test checks it is Alembic's head): a
#: database already there needs no Alembic at all, which saves a client a tenth of a second.
HEAD_REVISION = "0003"


def is_current(engine: Engine) -> bool:
    """Whether the database is at :data:`HEAD_REVISION`; False too if it cannot be asked."""
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in version] == [HEAD_REVISION]
    except SQLAlchemyError:
        return False  # no table yet, or unreachable: upgrade() migrates or says why


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

    with translate_connection_errors():
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Run ``alembic downgrade <revision>`` against ``url`` (``"base"`` drops every table).

    Raises:
        DatabaseConnectionError: the database is unreachable.
    """
    logger.bind(operation="database_migration", revision=revision).info("downgrading database")
    from alembic import command

    with translate_connection_errors():
        command.downgrade(alembic_config(url), revision)


def autogenerate_revision(url: str, message: str) -> None:
    """Write a new revision into ``migrations/versions`` from the models' difference to ``url``."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)
