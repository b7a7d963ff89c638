"""The web dashboard: server-rendered pages over ``/api/v1``, served by the service's app.

``mount_dashboard(app)`` adds the pages under ``/dashboard`` and their scripts and styles under
``/dashboard/static``; ``/`` sends a browser to the dashboard. Every asset is in this package:
a page asks nothing of any other host.
"""

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from pixcrawler.backend.web import job_pages, pages, review
from pixcrawler.backend.web.rendering import PREFIX

__all__ = ["PREFIX", "mount_dashboard"]


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard from ``app`` (the service's FastAPI app)."""
    app.include_router(pages.router)
    app.include_router(review.router)
    app.include_router(job_pages.router)
    static = StaticFiles(directory=Path(__file__).parent / "static")
    app.mount(f"{PREFIX}/static", static, name="dashboard-static")

    @app.get("/", include_in_schema=False)
    async def to_dashboard() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
