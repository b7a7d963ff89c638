"""Dashboard pages in-process (a TestClient on the service app): sign-in with a key or a
Supabase token, anti-forgery, the form's server-side checks, ownership, and the page policy."""

import html as html_text
import re
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pixcrawler.backend.api import create_app
from pixcrawler.backend.db import Job, Project, User, session_scope
from pixcrawler.backend.services import issue_key
from pixcrawler.backend.web.session import COOKIE
from pixcrawler.config import get_settings

SUPABASE_URL = "https://project.supabase.test"
JWT_SECRET = "dashboard-test-secret-with-at-least-32-bytes!"
STATIC = Path(__file__).resolve().parents[2] / "src/pixcrawler/backend/web"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    monkeypatch.chdir(tmp_path)  # the embedded broker writes a ``control`` folder in the cwd
    monkeypatch.setenv("PIXCRAWLER_SUPABASE_URL", SUPABASE_URL)
    monkeypatch.setenv("PIXCRAWLER_SUPABASE_JWT_SECRET", JWT_SECRET)
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as running:
        yield running


def new_key(client: TestClient, email: str) -> str:
    context = client.app.state.context  # type: ignore[attr-defined]
    with session_scope(context.sessions) as session:
        user = User(email=email, name=email.split("@", maxsplit=1)[0])
        session.add(user)
        session.flush()
        return issue_key(session, user_id=user.id, name="test", scopes="read,write")[1]


def signed_in(client: TestClient, key: str) -> str:
    """Sign ``client`` in with ``key``; the form token of its pages."""
    answer = client.post("/dashboard/sign-in", data={"token": key})
    assert answer.status_code == 200, answer.text
    return form_token(client.get("/dashboard/new").text)


def form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]{64})"', html)
    assert found is not None
    return found.group(1)


def alerts(html: str) -> list[str]:
    return [html_text.unescape(m) for m in re.findall(r'role="alert"[^>]*>([^<]*)<', html)]


def count(client: TestClient, model: type) -> int:
    context = client.app.state.context  # type: ignore[attr-defined]
    with session_scope(context.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


KEYWORD_FORM = {
    "project": "wildlife", "name": "foxes", "source": "keywords", "keywords": "red fox\n\nred fox",
    "per_class": "5", "engines": ["openverse"], "validation_level": "fast",
    "label_formats": ["json", "csv"],
}  # fmt: skip


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/new", "/dashboard/jobs/x",
                                  "/dashboard/jobs/x/review"])  # fmt: skip
def test_pages_send_a_stranger_to_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/sign-in")


def test_a_refused_key_is_one_line_and_no_cookie(client: TestClient) -> None:
    answer = client.post("/dashboard/sign-in", data={"token": "pxc_not-a-key"})
    assert answer.status_code == 401
    assert alerts(answer.text) == ["That key or token was not accepted."]
    assert COOKIE not in client.cookies


def test_a_supabase_token_signs_in_and_sign_out_forgets_it(client: TestClient) -> None:
    claims = {"sub": "user-9", "aud": "authenticated", "iss": f"{SUPABASE_URL}/auth/v1",
              "exp": int(time.time()) + 600, "email": "ada@example.org"}  # fmt: skip
    token = jwt.encode(claims, JWT_SECRET, "HS256")
    home = client.post("/dashboard/sign-in", data={"token": token})
    assert "Signed in as ada@example.org (user)." in home.text
    cookie = home.history[0].headers["set-cookie"]
    assert "SameSite=strict" in cookie and "HttpOnly" not in cookie  # the script sends it
    answer = client.post("/dashboard/sign-out", follow_redirects=False)
    assert answer.headers["location"] == "/dashboard/sign-in"
    assert COOKIE not in client.cookies


def test_a_form_without_its_token_changes_nothing(client: TestClient) -> None:
    signed_in(client, new_key(client, "alice@example.org"))
    for token in ("", "0" * 64):
        answer = client.post("/dashboard/new", data=KEYWORD_FORM | {"form_token": token})
        assert answer.status_code == 403
        assert "the form expired" in answer.text
    assert count(client, Project) == 0


def test_the_server_checks_every_field_and_keeps_what_was_typed(client: TestClient) -> None:
    token = signed_in(client, new_key(client, "alice@example.org"))
    bad = KEYWORD_FORM | {"form_token": token, "keywords": " \n", "per_class": "0",
                          "engines": ["altavista"], "label_formats": [],
                          "name": "kept name"}  # fmt: skip
    answer = client.post("/dashboard/new", data=bad)
    assert answer.status_code == 400
    assert alerts(answer.text) == [
        "enter at least one keyword, one per line",
        "images per class must be a whole number from 1 to 10000",
        "unknown engine altavista",
        "choose at least one label format",
    ]
    assert 'value="kept name"' in answer.text
    wrong_file = KEYWORD_FORM | {"form_token": token, "source": "url_list"}
    upload = {"url_list": ("urls.exe", b"https://example.org/a.jpg\n")}
    answer = client.post("/dashboard/new", data=wrong_file, files=upload)
    assert alerts(answer.text) == ["a URL list is one of .txt, .csv, .jsonl, .parquet; got '.exe'"]
    assert count(client, Job) == 0


def test_a_keyword_dataset_is_created_through_the_api(client: TestClient) -> None:
    token = signed_in(client, new_key(client, "alice@example.org"))
    answer = client.post("/dashboard/new", data=KEYWORD_FORM | {"form_token": token},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    job = client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": _bearer(client)}).json()
    assert job["spec"]["keywords"] == ["red fox"]  # blank lines and repeats dropped
    assert (job["spec"]["per_class"], job["spec"]["label_formats"]) == (5, ["json", "csv"])
    assert job["dataset_id"] is not None
    page = client.get(f"/dashboard/jobs/{job_id}")
    assert page.status_code == 200 and 'data-live="yes"' in page.text
    assert '<meta http-equiv="refresh" content="5">' in page.text  # progress by reload, no script


def test_a_url_list_dataset_uploads_its_list(client: TestClient) -> None:
    token = signed_in(client, new_key(client, "alice@example.org"))
    form = KEYWORD_FORM | {"form_token": token, "source": "url_list", "keywords": ""}
    upload = {"url_list": ("urls.txt", b"https://example.org/a.jpg\n")}
    answer = client.post("/dashboard/new", data=form, files=upload, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    job = client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": _bearer(client)}).json()
    assert job["kind"] == "url_list" and len(job["spec"]["source_keys"]) == 1


def test_another_users_job_is_not_found(client: TestClient) -> None:
    token = signed_in(client, new_key(client, "alice@example.org"))
    created = client.post("/dashboard/new", data=KEYWORD_FORM | {"form_token": token},
                          follow_redirects=False)  # fmt: skip
    job = created.headers["location"]
    signed_in(client, new_key(client, "bob@example.org"))
    for path in (job, f"{job}/review", f"{job}/download/zip", f"{job}/download/report"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "<h1>Not found</h1>" in answer.text
    assert client.get(f"{job}/images/1/thumbnail").status_code == 404  # an <img>: no page
    assert client.post(f"{job}/cancel", data={"form_token": form_token(
        client.get("/dashboard/new").text)}).status_code == 404  # fmt: skip


def test_pages_load_nothing_from_another_host(client: TestClient) -> None:
    signed_in(client, new_key(client, "alice@example.org"))
    policy = client.get("/dashboard/").headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assets = [*STATIC.glob("templates/*.html"), *STATIC.glob("static/*")]
    for asset in assets:
        text = asset.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), asset.name
        assert "<script>" not in text and " style=" not in text, asset.name  # the policy forbids
    assert client.get("/dashboard/static/dashboard.js").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard/"


def _bearer(client: TestClient) -> str:
    return f"Bearer {client.cookies[COOKIE]}"


def test_completed_review_rows_pair_duplicates_with_their_original() -> None:
    from pixcrawler.backend.web.review import originals_of

    kept = [{"id": 1, "label": "fox", "file_key": "jobs/j/dataset/images/fox/a.jpg"},
            {"id": 2, "label": "wolf", "file_key": "jobs/j/dataset/images/wolf/b.jpg"}]  # fmt: skip
    duplicates = [{"id": 7, "label": "fox", "duplicate_of": "images/wolf/b.jpg"},
                  {"id": 8, "label": "fox", "duplicate_of": "images/fox/gone.jpg"},
                  {"id": 9, "label": "fox"}]  # fmt: skip
    assert originals_of(duplicates, kept) == {7: kept[1]}


def test_the_cancel_button_cancels_through_the_api(client: TestClient) -> None:
    token = signed_in(client, new_key(client, "alice@example.org"))
    created = client.post("/dashboard/new", data=KEYWORD_FORM | {"form_token": token},
                          follow_redirects=False)  # fmt: skip
    job = created.headers["location"]
    answer = client.post(f"{job}/cancel", data={"form_token": token}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, job)
    page = client.get(job).text
    assert '<span class="status status-cancelled" id="job-status">cancelled</span>' in page
    assert 'data-live="no"' in page and 'http-equiv="refresh"' not in page
    again = client.post(f"{job}/cancel", data={"form_token": token})
    assert again.status_code == 409 and "<h1>Something went wrong</h1>" in again.text
