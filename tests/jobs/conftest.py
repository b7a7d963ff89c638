"""A job context on the test's own SQLite database and local storage, and eager Celery."""

from collections.abc import Iterator

import pytest

from pixcrawler.backend.distributed import _context
from pixcrawler.backend.distributed._context import JobContext, make_context
from pixcrawler.celery_app import app
from pixcrawler.config import get_settings


@pytest.fixture
def job_ctx(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobContext]:
    """``job_context()`` for this test: SQLite and file storage under the test's data dir."""
    monkeypatch.setenv("PIXCRAWLER_TASK_RETRY_COUNTDOWN", "0")
    get_settings.cache_clear()
    cached = _context.job_context
    cached.cache_clear()
    context = make_context(get_settings())
    monkeypatch.setattr(_context, "job_context", lambda: context)
    for module in ("pixcrawler.builder.tasks", "pixcrawler.validator.tasks"):
        monkeypatch.setattr(f"{module}.job_context", lambda: context)
    yield context
    cached.cache_clear()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """URL lists cut into chunks of 3 rows; request it before ``job_ctx``, which reads it."""
    monkeypatch.setenv("PIXCRAWLER_CHUNK_SIZE", "3")


@pytest.fixture
def eager() -> Iterator[None]:
    """Run tasks (and the tasks they send) in-process, as a worker would, propagating errors."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


# The deployment fixtures (private Redis, PostgreSQL schema, workers, image gate).
from support.deployment import deployment, gate, redis_server, schema_url  # noqa: E402, F401
