"""Liveness (``/healthz``) and readiness (``/readyz``: database, broker, storage)."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from pixcrawler.backend.api.deps import ContextDep
from pixcrawler.backend.api.schemas import Health
from pixcrawler.backend.db import session_scope
from pixcrawler.backend.distributed import JobContext
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request, context: ContextDep) -> JSONResponse:
    """Database, broker and storage each answer; 503 names the one that does not."""
    checks = await run_in_threadpool(_checks, context, request.app.state.celery)
    ready = all(value == "ok" for value in checks.values())
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _checks(context: JobContext, celery: object) -> dict[str, str]:
    results = {}
    for name, probe in (("database", _database), ("broker", _broker), ("storage", _storage)):
        try:
            probe(context, celery)
            results[name] = "ok"
        except Exception as exc:  # readiness reports every failure as data
            logger.bind(check=name, error_type=type(exc).__name__).warning("not ready")
            results[name] = f"unavailable ({type(exc).__name__})"
    return results


def _database(context: JobContext, _: object) -> None:
    with session_scope(context.sessions) as session:
        session.execute(text("SELECT 1"))


def _broker(_: JobContext, celery: object) -> None:
    with celery.connection_for_write() as connection:  # type: ignore[attr-defined]
        connection.ensure_connection(max_retries=0)


def _storage(context: JobContext, _: object) -> None:
    context.storage.exists("readyz-probe")
