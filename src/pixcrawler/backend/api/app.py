"""The FastAPI app factory: settings → job context, Celery, verifier, middleware, routers."""

from typing import Any

from celery import Celery
from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware

from pixcrawler.backend.api import v1
from pixcrawler.backend.api.metrics import CONTENT_TYPE, Metrics
from pixcrawler.backend.api.middleware import RequestContextMiddleware
from pixcrawler.backend.api.problems import install_error_handlers
from pixcrawler.backend.api.ratelimit import (
    Counter,
    MemoryCounter,
    RateLimitMiddleware,
    RedisCounter,
)
from pixcrawler.backend.api.tokens import SupabaseVerifier
from pixcrawler.backend.api.v1 import health
from pixcrawler.backend.distributed import JobContext
from pixcrawler.backend.web import mount_dashboard
from pixcrawler.config import Settings, get_settings

DESCRIPTION = """PixCrawler as a service: create datasets from keywords or URL lists, follow the
jobs, review images, download exports. Authenticate with `Authorization: Bearer <token>`: a
Supabase access token or a PixCrawler API key (`pxc_…`). Errors always have the shape
`{"error": {"code", "message", "request_id"}}`. See docs/API.md."""


def create_app(settings: Settings | None = None, *, context: JobContext | None = None,
               celery: Celery | None = None) -> FastAPI:  # fmt: skip
    """The API app for ``settings`` (default: the process settings).

    Args:
        context: the job context to serve (default: one built from ``settings``, migrating
            the database).
        celery: the Celery app jobs are sent through (default: the process one).
    """
    from pixcrawler.backend.distributed import make_context
    from pixcrawler.celery_app import app as default_celery

    settings = settings or get_settings()
    context = context or make_context(settings)
    app = FastAPI(title="PixCrawler API", version="1", description=DESCRIPTION,
                  openapi_tags=_TAGS)  # fmt: skip
    app.state.context, app.state.celery = context, celery or default_celery
    app.state.verifier = SupabaseVerifier(settings)
    metrics = Metrics(context)
    app.state.metrics = metrics
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(v1.router)
    mount_dashboard(app)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    metrics.use_routes([*app.openapi()["paths"], "/metrics"])
    _middleware(app, settings, metrics)
    return app


def _middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    # Starlette runs the last added outermost: CORS, then request context, then the limiter.
    counter: Counter = (
        RedisCounter(settings.rate_limit_redis_url) if settings.rate_limit_redis_url
        else MemoryCounter()
    )  # fmt: skip
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute,
                       counter=counter)  # fmt: skip
    app.add_middleware(
        RequestContextMiddleware, max_body=settings.api_max_body_bytes,
        upload_max_body=settings.upload_max_bytes, observe=metrics.observe,
    )  # fmt: skip
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )  # fmt: skip


_TAGS: list[dict[str, Any]] = [
    {"name": "health", "description": "Liveness and readiness; no credentials needed."},
    {"name": "users", "description": "The signed-in user."},
    {"name": "projects", "description": "Folders of datasets."},
    {"name": "datasets", "description": "Named datasets that jobs fill."},
    {"name": "uploads", "description": "URL lists for `url_list` jobs."},
    {"name": "jobs", "description": "Build jobs: create, follow, control."},
    {"name": "images", "description": "Review a job's images."},
    {"name": "exports", "description": "Download a completed job's dataset."},
    {"name": "api-keys", "description": "Keys for scripts and the Python client."},
    {"name": "activity", "description": "The caller's activity log."},
]
