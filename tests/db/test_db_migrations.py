"""The migrations build exactly the models' schema, from empty, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from pixcrawler.backend.db import Base, make_engine
from pixcrawler.backend.db.migrate import HEAD_REVISION, alembic_config, downgrade, upgrade

TABLES = {
    "users", "projects", "datasets", "api_keys", "jobs", "chunks", "images", "class_quotas",
    "chunk_quotas", "activity",
}  # fmt: skip


def schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_builds_the_models_schema(empty_database_url: str) -> None:
    upgrade(empty_database_url)

    assert table_names(empty_database_url) == TABLES
    assert schema_diff(empty_database_url) == []


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)

    assert schema_diff(empty_database_url) == []


def test_downgrade_to_base_drops_everything_and_upgrade_rebuilds(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    assert table_names(empty_database_url) == set()

    upgrade(empty_database_url)
    assert schema_diff(empty_database_url) == []


def test_the_revision_history_has_one_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())

    assert scripts.get_heads() == [HEAD_REVISION]
