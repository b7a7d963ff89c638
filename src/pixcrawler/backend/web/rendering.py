"""What every dashboard page shares: the templates, the signed-in caller, and error pages.

Pages carry their own Content-Security-Policy: scripts, styles, images and connections only
from this app (no CDN, no third-party host), no inline script.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from pixcrawler.backend.web.api_calls import Api, ApiFailure
from pixcrawler.backend.web.session import (
    COOKIE,
    FORM_TOKEN_FIELD,
    NotSignedIn,
    form_token,
    form_token_matches,
    session_token,
)

PREFIX = "/dashboard"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
Params = ParamSpec("Params")


def _when(value: str | None) -> str:
    """An API timestamp as ``2026-12-07 13:48`` (UTC), or a dash."""
    if not value:
        return "—"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M")


templates.env.filters["when"] = _when


def caller_api(request: Request) -> Api:
    """The API as the signed-in user.

    Raises:
        NotSignedIn: no session token (the page answers with the sign-in page).
    """
    return Api(request, session_token(request))


def render(request: Request, template: str, code: int = 200, /, **context: Any) -> Response:
    """Template ``template`` answered with HTTP ``code``, with ``context``, the anti-forgery
    token and the page policy."""
    token = request.cookies.get(COOKIE, "")
    values = {
        "prefix": PREFIX,
        "form_token": form_token(token) if token else "",
        "form_token_field": FORM_TOKEN_FIELD,
        "signed_in": bool(token),
    } | context
    response = templates.TemplateResponse(request, template, values, status_code=code)
    response.headers["content-security-policy"] = PAGE_CSP
    response.headers["cache-control"] = "no-store"
    return response


@dataclass(frozen=True, slots=True)
class Upload:
    """A file posted with a form: its name as the browser gave it and its bytes."""

    filename: str
    data: bytes


async def checked_form(request: Request) -> dict[str, list[str | Upload]]:
    """The posted form of a signed-in user, its anti-forgery token checked, files read.

    Raises:
        NotSignedIn: no session token.
        ApiFailure: 403 when the anti-forgery token is missing or wrong.
    """
    token = session_token(request)
    async with request.form() as form:  # closes the spooled upload files
        fields: dict[str, list[str | Upload]] = {}
        for name, value in form.multi_items():
            kept = (
                value
                if isinstance(value, str)
                else Upload(value.filename or "", await value.read())
            )
            fields.setdefault(name, []).append(kept)
    posted = fields.get(FORM_TOKEN_FIELD, [""])[0]
    if not isinstance(posted, str) or not form_token_matches(token, posted):
        raise ApiFailure(403, "forbidden", "the form expired; reload the page and try again")
    return fields


def page(
    handler: Callable[Params, Awaitable[Response]],
) -> Callable[Params, Awaitable[Response]]:
    """Turn a page handler's sign-in and API failures into the sign-in page or an error page."""

    @wraps(handler)
    async def wrapped(*args: Params.args, **kwargs: Params.kwargs) -> Response:
        request = next(arg for arg in (*args, *kwargs.values()) if isinstance(arg, Request))
        try:
            return await handler(*args, **kwargs)
        except NotSignedIn:
            return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        except ApiFailure as failure:
            if failure.status == 401:
                return RedirectResponse(f"{PREFIX}/sign-in?expired=1", status_code=303)
            title = "Not found" if failure.status == 404 else "Something went wrong"
            return render(request, "error.html", failure.status, title=title, failure=failure)

    return wrapped
