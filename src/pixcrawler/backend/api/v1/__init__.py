"""Version 1 of the API: one router per resource, all under ``/api/v1``."""

from fastapi import APIRouter

from pixcrawler.backend.api.v1 import (
    activity,
    api_keys,
    datasets,
    exports,
    images,
    jobs,
    progress,
    projects,
    uploads,
    users,
)

router = APIRouter(prefix="/api/v1")
for module in (users, projects, datasets, uploads, jobs, progress, images, exports, api_keys,
               activity):  # fmt: skip
    router.include_router(module.router)

__all__ = ["router"]
