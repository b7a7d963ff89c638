"""An API app on the test's own SQLite database and local storage, and users to call it as."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from pixcrawler.backend.api import create_app
from pixcrawler.backend.db import User, session_scope
from pixcrawler.backend.services import issue_key
from pixcrawler.config import get_settings

SUPABASE_URL = "https://project.supabase.test"
JWT_SECRET = "test-secret-with-at-least-32-bytes-of-entropy!"


@dataclass
class Caller:
    """A user and the headers that authenticate as them."""

    user_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def supabase_token(sub: str = "user-1", **overrides: Any) -> str:
    """A valid HS256 Supabase access token, with ``overrides`` applied to its claims."""
    claims = {"sub": sub, "aud": "authenticated", "iss": f"{SUPABASE_URL}/auth/v1",
              "exp": int(time.time()) + 600, "email": f"{sub}@example.org"}  # fmt: skip
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, JWT_SECRET, "HS256")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A TestClient on a fresh app (Supabase HS256 configured)."""
    monkeypatch.setenv("PIXCRAWLER_SUPABASE_URL", SUPABASE_URL)
    monkeypatch.setenv("PIXCRAWLER_SUPABASE_JWT_SECRET", JWT_SECRET)
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        yield client


def make_caller(client: TestClient, email: str, scopes: str = "read,write") -> Caller:
    """A new user with an API key of ``scopes``."""
    context = client.app.state.context  # type: ignore[attr-defined]
    with session_scope(context.sessions) as session:
        user = User(email=email, name=email.split("@", maxsplit=1)[0])
        session.add(user)
        session.flush()
        _, raw = issue_key(session, user_id=user.id, name="test", scopes=scopes)
        return Caller(user.id, raw)


@pytest.fixture
def alice(api: TestClient) -> Caller:
    return make_caller(api, "alice@example.org")


@pytest.fixture
def bob(api: TestClient) -> Caller:
    return make_caller(api, "bob@example.org")
