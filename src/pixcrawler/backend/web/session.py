"""Who is signed in to the dashboard: the token kept in the browser's session cookie.

The token (an API key or a Supabase access token) stays in the browser: a session cookie that
ends with the browser session, ``SameSite=Strict`` so no other site's page sends it, readable by
the dashboard's script, which sends it to ``/api/v1`` as ``Authorization: Bearer``. The server
keeps nothing: every page passes the cookie on to the API as the Bearer. Forms that change
something carry a token derived from the session token, so a cross-site form cannot post one.
"""

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "pixcrawler_token"
#: The form field every state-changing dashboard form carries (see :func:`form_token`).
FORM_TOKEN_FIELD = "form_token"


class NotSignedIn(Exception):
    """The request carries no session token; the page sends the browser to sign in."""


def session_token(request: Request) -> str:
    """The signed-in user's token.

    Raises:
        NotSignedIn: no session cookie.
    """
    token = request.cookies.get(COOKIE, "").strip()
    if not token:
        raise NotSignedIn
    return token


def form_token(token: str) -> str:
    """The anti-forgery value for forms posted with ``token``: a page of another site cannot
    read the cookie, so it cannot compute this."""
    return hashlib.sha256(b"pixcrawler dashboard form\x00" + token.encode()).hexdigest()


def form_token_matches(token: str, posted: str) -> bool:
    """Whether a posted anti-forgery value belongs to ``token`` (constant-time)."""
    return hmac.compare_digest(form_token(token), posted)


def remember(response: Response, request: Request, token: str) -> None:
    """Keep ``token`` in the browser for this browser session."""
    response.set_cookie(
        COOKIE, token, path="/", samesite="strict", secure=request.url.scheme == "https"
    )


def forget(response: Response) -> None:
    """Sign out: the browser drops the token."""
    response.delete_cookie(COOKIE, path="/", samesite="strict")
