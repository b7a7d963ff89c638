"""The PixCrawler API from Python: ``Client(base_url, api_key)`` and its typed exceptions."""

from pixcrawler.client._client import Client
from pixcrawler.client._errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "ApiError",
    "Client",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
]
