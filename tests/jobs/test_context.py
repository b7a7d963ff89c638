"""A job context migrates its database only when it is not at the newest revision already."""

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from pixcrawler.backend.db import migrate
from pixcrawler.backend.db.session import make_engine
from pixcrawler.backend.distributed._context import make_context
from pixcrawler.config import Settings


def test_head_revision_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_heads() == [migrate.HEAD_REVISION]


def test_context_migrates_a_new_database_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.resolved_database_url())
    assert not migrate.is_current(engine)
    make_context(settings)
    assert migrate.is_current(engine)
    upgrades: list[str] = []
    monkeypatch.setattr("pixcrawler.backend.distributed._context.upgrade", upgrades.append)
    make_context(settings)
    assert upgrades == []  # already at head: no Alembic
    engine.dispose()
