"""A completed job with kept images, written straight into the job database and storage."""

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from pixcrawler.backend.db import Dataset, Image, Job, Project, session_scope, utcnow
from support.images import make_jpeg


@dataclass
class World:
    """One user's resources, by id."""

    project_id: int
    dataset_id: int
    job_id: str
    image_ids: list[int]
    api_key_id: int


def completed_job(client: TestClient, user_id: int, count: int = 3) -> World:
    """A project, a dataset and a completed job of ``count`` kept images (files in storage,
    manifest and metadata exported), owned by ``user_id``."""
    from pixcrawler.backend.distributed.finalize import export_labels

    context = client.app.state.context
    with session_scope(context.sessions) as session:
        project = Project(user_id=user_id, name="p")
        session.add(project)
        session.flush()
        dataset = Dataset(project_id=project.id, name="d", storage_prefix="datasets/x")
        session.add(dataset)
        spec = {"kind": "keywords", "keywords": ["cat"], "engines": ["bing"], "per_class": 5}
        job = Job(user_id=user_id, kind="keywords", spec=spec, status="completed",
                  kept=count, finished_at=utcnow())  # fmt: skip
        session.add(job)
        session.flush()
        ids = [_image(context, session, job.id, index) for index in range(count)]
        world = World(project.id, dataset.id, job.id, ids, 0)
    export_labels(context, job_id=world.job_id)
    return world


def _image(context: Any, session: Any, job_id: str, index: int) -> int:
    data = make_jpeg(1000 + index)
    digest = hashlib.sha256(data).hexdigest()
    key = f"jobs/{job_id}/dataset/images/cat/{digest[:20]}.jpg"
    context.storage.put(key, data)
    row = Image(job_id=job_id, url=f"http://example.test/{index}.jpg", label="cat",
                status="kept", reason="", sha256=digest, phash=f"{index:016x}", file_key=key,
                width=256, height=256, format="JPEG",
                source="bing")  # fmt: skip
    session.add(row)
    session.flush()
    return int(row.id)
