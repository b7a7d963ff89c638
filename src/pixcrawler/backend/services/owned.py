"""Rows looked up on behalf of a user: another user's row is as absent as a missing one.

Every lookup filters on the owner in SQL, so no route can forget the check after the read.
"""

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from pixcrawler.backend.db import Dataset, Image, Job, Project
from pixcrawler.errors import RecordNotFoundError

_Row = TypeVar("_Row")


def owned_project(session: Session, *, user_id: int, project_id: int) -> Project:
    """The user's project ``project_id``.

    Raises:
        RecordNotFoundError: no such project, or another user's.
    """
    statement = select(Project).where(Project.id == project_id, Project.user_id == user_id)
    return _one(session.scalars(statement).first(), "project")


def owned_dataset(session: Session, *, user_id: int, dataset_id: int) -> Dataset:
    """The user's dataset ``dataset_id`` (through its project)."""
    statement = (
        select(Dataset)
        .join(Project, Project.id == Dataset.project_id)
        .where(Dataset.id == dataset_id, Project.user_id == user_id)
    )
    return _one(session.scalars(statement).first(), "dataset")


def owned_job(session: Session, *, user_id: int, job_id: str) -> Job:
    """The user's job ``job_id``, re-read from the database."""
    statement = select(Job).where(Job.id == job_id, Job.user_id == user_id)
    return _one(session.scalars(statement.execution_options(populate_existing=True)).first(), "job")


def owned_image(session: Session, *, user_id: int, job_id: str, image_id: int) -> Image:
    """Image ``image_id`` of the user's job ``job_id``."""
    statement = (
        select(Image)
        .join(Job, Job.id == Image.job_id)
        .where(Image.id == image_id, Image.job_id == job_id, Job.user_id == user_id)
    )
    return _one(session.scalars(statement).first(), "image")


def _one(row: _Row | None, what: str) -> _Row:
    if row is None:
        raise RecordNotFoundError(f"no such {what}")
    return row
