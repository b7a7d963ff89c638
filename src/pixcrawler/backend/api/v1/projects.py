"""``/projects``: a user's folders of datasets."""

from fastapi import APIRouter, Response
from sqlalchemy import select

from pixcrawler.backend.api.deps import CurrentUser, SessionDep, Writer
from pixcrawler.backend.api.pagination import Cursor, Limit, encode_cursor, int_cursor
from pixcrawler.backend.api.schemas import Named, Page, ProjectPublic
from pixcrawler.backend.api.v1.common import ERRORS, note
from pixcrawler.backend.db import Project
from pixcrawler.backend.services import owned_project

router = APIRouter(prefix="/projects", tags=["projects"], responses=ERRORS)


@router.post("", response_model=ProjectPublic, status_code=201)
def create_project(body: Named, caller: Writer, session: SessionDep) -> Project:
    """Create a project."""
    project = Project(user_id=caller.user_id, name=body.name)
    session.add(project)
    session.flush()
    note(session, caller, "project.create", f"project {project.id}")
    return project


@router.get("", response_model=Page[ProjectPublic])
def list_projects(caller: CurrentUser, session: SessionDep, cursor: Cursor = None,
                  limit: Limit = 50) -> Page[ProjectPublic]:  # fmt: skip
    """The caller's projects, oldest first."""
    statement = select(Project).where(Project.user_id == caller.user_id)
    after = int_cursor(cursor)
    if after is not None:
        statement = statement.where(Project.id > after)
    rows = list(session.scalars(statement.order_by(Project.id).limit(limit)))
    items = [ProjectPublic.model_validate(row) for row in rows]
    return Page(items=items, next_cursor=encode_cursor(rows[-1].id) if len(rows) == limit else None)


@router.get("/{project_id}", response_model=ProjectPublic)
def get_project(project_id: int, caller: CurrentUser, session: SessionDep) -> Project:
    """One project."""
    return owned_project(session, user_id=caller.user_id, project_id=project_id)


@router.delete("/{project_id}", status_code=204, response_class=Response)
def delete_project(project_id: int, caller: Writer, session: SessionDep) -> Response:
    """Delete a project and its datasets (their jobs stay, unlinked)."""
    project = owned_project(session, user_id=caller.user_id, project_id=project_id)
    session.delete(project)
    note(session, caller, "project.delete", f"project {project_id}")
    return Response(status_code=204)
