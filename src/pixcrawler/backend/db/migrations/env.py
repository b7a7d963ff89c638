"""Alembic environment: migrates the connection or URL that ``migrate.py`` hands over.

There is no ``alembic.ini``: :mod:`pixcrawler.backend.db.migrate` builds the configuration and
puts the target in ``config.attributes`` (``"connection"`` or ``"url"``).
"""

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from pixcrawler.backend.db._base import Base


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_online(url: str) -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    # A plain engine: no foreign-key pragma, which would cascade through batch-mode table copies.
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def _main() -> None:
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        _run_offline(str(url))
    else:
        _run_online(str(url))


_main()
