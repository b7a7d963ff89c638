"""Types shared by the job-database tests (fixtures live in ``conftest.py``)."""

from collections.abc import Callable

from pixcrawler.backend.db import Chunk, Job

#: ``new_job(chunks=0, *, user_id=None)``: a committed job and its pending chunks.
NewJob = Callable[..., tuple[Job, list[Chunk]]]
