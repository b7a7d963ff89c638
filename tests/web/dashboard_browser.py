"""What the dashboard's browser tests share: watched pages, users, screenshots."""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard_service import Service

from pixcrawler.backend.db import User, session_scope
from pixcrawler.backend.distributed import make_context
from pixcrawler.backend.services import issue_key
from pixcrawler.config import Settings

#: The engines the tests' datasets search.
ENGINES = ("openverse", "wikimedia")


@dataclass
class Watched:
    """A browser page and what went wrong on it."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """No console error, no uncaught exception, no request to another host."""
        assert self.console_errors == []
        assert self.foreign_requests == []


def add_user(service: Service, email: str) -> str:
    """A new user of ``service`` with a read-write API key; the raw key."""
    context = make_context(Settings(data_dir=service.data_dir))
    with session_scope(context.sessions) as session:
        user = User(email=email, name=email.split("@", maxsplit=1)[0])
        session.add(user)
        session.flush()
        _, raw = issue_key(session, user_id=user.id, name="browser test", scopes="read,write")
    return raw


def save_screenshot(page: Any, folder: Path, name: str) -> Path:
    """A full-page PNG of ``page`` in ``folder``; also copied to ``$PIXCRAWLER_SCREENSHOTS``."""
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    if target := os.environ.get("PIXCRAWLER_SCREENSHOTS"):
        shutil.copy(path, Path(target) / name)
    return path
