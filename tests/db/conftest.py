"""Job-database fixtures: every test runs on SQLite and on PostgreSQL, each in a fresh database.

PostgreSQL's ``test`` database is shared with other runs, so each test module (or migration
test) gets its own schema, reached through ``search_path`` in the URL and dropped afterwards.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from db_support import NewJob
from loguru import logger

from pixcrawler.backend.db import Chunk, Job, add_chunks, create_job, session_factory, session_scope
from pixcrawler.backend.db.migrate import upgrade
from pixcrawler.backend.db.session import SessionFactory
from pixcrawler.builder.jobspec import JobKind, JobSpec

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A new empty schema in ``base_url``'s database; yields a URL whose search_path is it."""
    schema = f"test_db_{secrets.token_hex(6)}"
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base_url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def empty_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """An empty database of the backend named by ``request.param``: its URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'jobs.sqlite'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, for one test."""
    with empty_database(request, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated to head, shared by the tests of one module."""
    with empty_database(request, tmp_path_factory.mktemp("db")) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def factory(database_url: str) -> Iterator[SessionFactory]:
    """Sessions on the module's migrated database."""
    sessions = session_factory(database_url)
    yield sessions
    sessions.kw["bind"].dispose()


@pytest.fixture
def new_job(factory: SessionFactory) -> NewJob:
    """Create a committed job with ``chunks`` pending chunks; returns the job and its chunks."""

    def make(chunks: int = 0, *, user_id: int | None = None) -> tuple[Job, list[Chunk]]:
        with session_scope(factory) as session:
            job = create_job(
                session,
                user_id=user_id,
                spec=JobSpec(kind=JobKind.KEYWORDS, keywords=("cat",), engines=("bing",)),
            )
            plan = [("discover", {"label": "cat", "page": page}) for page in range(chunks)]
            return job, add_chunks(session, job_id=job.id, chunks=plan)

    return make


@pytest.fixture
def log_records() -> Iterator[list[dict[str, Any]]]:
    """Every loguru record PixCrawler emits during the test."""
    caught: list[dict[str, Any]] = []
    logger.enable("pixcrawler")
    handler = logger.add(lambda message: caught.append(message.record), level="DEBUG")
    yield caught
    logger.remove(handler)
    logger.disable("pixcrawler")
