"""``/datasets``: named datasets in a user's projects, which jobs fill."""

from fastapi import APIRouter
from sqlalchemy import select

from pixcrawler.backend.api.deps import CurrentUser, SessionDep, Writer
from pixcrawler.backend.api.pagination import Cursor, Limit, encode_cursor, int_cursor
from pixcrawler.backend.api.schemas import DatasetCreate, DatasetPublic, Page
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import Dataset, Project
from pixcrawler.backend.services import owned_dataset, owned_project

router = APIRouter(prefix="/datasets", tags=["datasets"], responses=ERRORS)


@router.post("", response_model=DatasetPublic, status_code=201)
def create_dataset(body: DatasetCreate, caller: Writer, session: SessionDep) -> Dataset:
    """Create a dataset in one of the caller's projects."""
    owned_project(session, user_id=caller.user_id, project_id=body.project_id)
    dataset = Dataset(project_id=body.project_id, name=body.name, storage_prefix="")
    session.add(dataset)
    session.flush()
    dataset.storage_prefix = f"datasets/{dataset.id}"
    note(session, caller, "dataset.create", f"dataset {dataset.id}")
    return dataset


@router.get("", response_model=Page[DatasetPublic])
def list_datasets(caller: CurrentUser, session: SessionDep, project_id: int | None = None,
                  cursor: Cursor = None, limit: Limit = 50) -> Page[DatasetPublic]:  # fmt: skip
    """The caller's datasets, oldest first, optionally of one project."""
    statement = (
        select(Dataset)
        .join(Project, Project.id == Dataset.project_id)
        .where(Project.user_id == caller.user_id)
    )
    if project_id is not None:
        statement = statement.where(Dataset.project_id == project_id)
    after = int_cursor(cursor)
    if after is not None:
        statement = statement.where(Dataset.id > after)
    rows = list(session.scalars(statement.order_by(Dataset.id).limit(limit)))
    items = [DatasetPublic.model_validate(row) for row in rows]
    return Page(items=items, next_cursor=encode_cursor(rows[-1].id) if len(rows) == limit else None)


@router.get("/{dataset_id}", response_model=DatasetPublic)
def get_dataset(dataset_id: int, caller: CurrentUser, session: SessionDep) -> Dataset:
    """One dataset."""
    return owned_dataset(session, user_id=caller.user_id, dataset_id=dataset_id)
