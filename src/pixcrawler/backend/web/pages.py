"""Dashboard pages for signing in and out, the projects and datasets list, and a new dataset."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pixcrawler.backend.web.api_calls import Api, ApiFailure
from pixcrawler.backend.web.forms import DatasetForm, FormChoices, check, job_spec
from pixcrawler.backend.web.rendering import (
    PREFIX,
    Upload,
    caller_api,
    checked_form,
    page,
    render,
)
from pixcrawler.backend.web.session import forget, remember
from pixcrawler.config import get_settings

router = APIRouter(prefix=PREFIX, include_in_schema=False)
#: Jobs and datasets shown on the home page (the newest); the API pages past it.
HOME_ROWS = 200


@router.get("/sign-in")
async def sign_in_page(request: Request, expired: bool = False) -> Response:
    """The sign-in form: paste an API key or a Supabase access token."""
    message = "Your session ended; sign in again." if expired else ""
    return render(request, "sign_in.html", title="Sign in", message=message)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Check the pasted token with the API; keep it in the browser if it names a user."""
    form = await request.form()
    token = str(form.get("token") or "").strip()
    if not token:
        return render(request, "sign_in.html", 400, title="Sign in", message="Paste a key first.")
    try:
        await Api(request, token).get("/users/me")
    except ApiFailure as failure:
        refused = failure.status == 401
        message = "That key or token was not accepted." if refused else failure.message
        return render(request, "sign_in.html", 401, title="Sign in", message=message)
    response = RedirectResponse(f"{PREFIX}/", status_code=303)
    remember(response, request, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Forget the token in this browser (the key itself stays valid; revoke it in the API)."""
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    forget(response)
    return response


@router.get("/")
@page
async def home(request: Request) -> Response:
    """Projects with their datasets, and every job with its state and counts."""
    api = caller_api(request)
    user = await api.get("/users/me")
    projects = (await api.get("/projects", limit=200))["items"]
    datasets = (await api.get("/datasets", limit=200))["items"]
    jobs = (await api.get("/jobs", limit=HOME_ROWS))["items"]
    latest: dict[int, dict[str, Any]] = {}
    for job in jobs:  # newest first: the first job of a dataset is its latest
        if job.get("dataset_id") is not None:
            latest.setdefault(job["dataset_id"], job)
    by_project = {p["id"]: [d for d in datasets if d["project_id"] == p["id"]] for p in projects}
    return render(request, "home.html", title="Datasets", user=user, projects=projects,
                  by_project=by_project, latest=latest, jobs=jobs)  # fmt: skip


@router.get("/new")
@page
async def new_dataset_page(request: Request) -> Response:
    """The new-dataset form."""
    projects = (await caller_api(request).get("/projects", limit=200))["items"]
    return _form_page(request, DatasetForm(), projects, 200, project="", name="")


def _form_page(
    request: Request, form: DatasetForm, projects: list[Any], status: int, **typed: str
) -> Response:
    return render(request, "new_dataset.html", status, title="New dataset", form=form,
                  choices=FormChoices(), projects=projects, **typed)  # fmt: skip


@router.post("/new")
@page
async def create_dataset(request: Request) -> Response:
    """Check the form, then create the project (if new), the dataset and its job via the API."""
    fields = await checked_form(request)
    api = caller_api(request)
    form, data = _parse(fields)
    check(form, url_list_size=len(data), upload_limit=get_settings().upload_max_bytes)
    name, project_name = _text(fields, "name"), _text(fields, "project")
    if not name:
        form.errors["name"] = "give the dataset a name"
    if not project_name:
        form.errors["project"] = "name a project (a new name creates it)"
    projects = (await api.get("/projects", limit=200))["items"]
    if not form.errors:
        try:
            job_id = await _submit(api, form, data, projects, project=project_name, name=name)
        except (ApiFailure, ValueError) as error:
            form.errors["form"] = getattr(error, "message", str(error))
        else:
            return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)
    return _form_page(request, form, projects, 400, project=project_name, name=name)


def _text(fields: dict[str, list[str | Upload]], name: str) -> str:
    value = (fields.get(name) or [""])[0]
    return value.strip() if isinstance(value, str) else ""


def _parse(fields: dict[str, list[str | Upload]]) -> tuple[DatasetForm, bytes]:
    """The form's values, and the uploaded URL list's bytes (empty without one)."""
    strings = {name: [v for v in values if isinstance(v, str)] for name, values in fields.items()}
    upload = next((v for v in fields.get("url_list", []) if isinstance(v, Upload)), None)
    form = DatasetForm(
        source=_text(fields, "source") or "keywords",
        keywords=_text(fields, "keywords"),
        per_class=_text(fields, "per_class"),
        engines=strings.get("engines", []),
        licences=strings.get("licences", []),
        validation_level=_text(fields, "validation_level"),
        label_formats=strings.get("label_formats", []),
        url_list_name=upload.filename if upload is not None else "",
    )
    return form, upload.data if upload is not None else b""


async def _submit(api: Api, form: DatasetForm, data: bytes, projects: list[Any], *,
                  project: str, name: str) -> str:  # fmt: skip
    keys: tuple[str, ...] = ()
    if form.source == "url_list":
        keys = ((await api.upload("/uploads", "file", form.url_list_name, data))["key"],)
    spec = job_spec(form, source_keys=keys)
    project_id = next((p["id"] for p in projects if p["name"] == project), None)
    if project_id is None:
        project_id = (await api.post("/projects", {"name": project}))["id"]
    dataset = await api.post("/datasets", {"project_id": project_id, "name": name})
    job = await api.post("/jobs", {"spec": spec, "dataset_id": dataset["id"]})
    return str(job["id"])
