"""The REST API (FastAPI): ``create_app`` builds it; ``pixcrawler serve`` runs it.

Routes are thin: they parse, call :mod:`pixcrawler.backend.services` and the job database,
and map errors to one JSON shape (:mod:`.problems`).
"""

from pixcrawler.backend.api.app import create_app

__all__ = ["create_app"]
