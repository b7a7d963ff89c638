"""A distributed job's images land in every storage backend: local disk, Azurite, moto S3."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from pixcrawler.backend.db.migrate import upgrade
from pixcrawler.backend.db.session import session_factory
from pixcrawler.backend.distributed import export_job, submit_job
from pixcrawler.backend.distributed._context import JobContext
from pixcrawler.backend.storage import StorageProvider
from pixcrawler.builder import tasks
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.celery_app import app
from pixcrawler.config import get_settings
from support.server import FixtureServer


@pytest.fixture
def context(provider: StorageProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobContext]:
    settings = get_settings()
    url = settings.resolved_database_url()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    ctx = JobContext(settings, session_factory(url), provider)
    monkeypatch.setattr(tasks, "job_context", lambda: ctx)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield ctx
    app.conf.task_always_eager = app.conf.task_eager_propagates = False


def test_job_images_and_exports_land_in_storage(
    context: JobContext, server: FixtureServer, failure_modes: dict[str, str], tmp_path: Path
) -> None:
    listing = tmp_path / "cats.txt"
    listing.write_text("\n".join(failure_modes[n] for n in ("ok_1", "ok_2", "not_found")) + "\n")
    job_id = submit_job(context, JobSpec(kind=JobKind.URL_LIST), [listing])
    tasks.plan_job.apply(kwargs={"job_id": job_id})
    root = f"jobs/{job_id}/dataset/"
    keys = [key.removeprefix(root) for key in context.storage.list(root)]
    assert sum(key.startswith("images/cats/") for key in keys) == 2, keys
    assert {"manifest.jsonl", "metadata.jsonl", "labels/labels.json"} <= set(keys)
    assert context.storage.exists(f"archives/{job_id}/{job_id}.zip")
    out = tmp_path / "out"
    export_job(context, job_id=job_id, dest=out)
    assert len(list((out / "images" / "cats").glob("*.jpg"))) == 2
