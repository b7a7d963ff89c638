"""What a worker needs to run job work: settings, the job database, dataset storage."""

from dataclasses import dataclass
from functools import lru_cache

from pixcrawler.backend.db.migrate import is_current, upgrade
from pixcrawler.backend.db.session import SessionFactory, make_engine, session_factory
from pixcrawler.backend.storage import StorageProvider, open_storage
from pixcrawler.config import Settings, get_settings


@dataclass(frozen=True)
class JobContext:
    """Settings plus the session factory and storage they describe."""

    settings: Settings
    sessions: SessionFactory
    storage: StorageProvider


def make_context(settings: Settings) -> JobContext:
    """A context for ``settings``; the database is migrated to the current schema first."""
    url = settings.resolved_database_url()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if not is_current(engine):
        upgrade(url)
    return JobContext(settings, session_factory(engine), open_storage(settings=settings))


@lru_cache(maxsize=1)
def job_context() -> JobContext:
    """The process-wide context (one per worker process), built on first use."""
    return make_context(get_settings())
