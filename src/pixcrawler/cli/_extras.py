"""Commands that need an optional install extra say which one, in one line, when it is missing.

The core install builds datasets locally; distributed jobs need ``pixcrawler[distributed]``
(Celery, the broker clients, SQLAlchemy, Alembic, psycopg), Azure storage ``[azure]``, S3 ``[s3]``,
the REST API (``pixcrawler serve``) ``[service]``.
"""

#: Top-level module → (what needs it, the extra that installs it).
_PROVIDERS = {
    **dict.fromkeys(
        ("celery", "kombu", "redis", "sqlalchemy", "alembic", "psycopg", "psycopg_binary"),
        ("distributed jobs need", "distributed"),
    ),
    "azure": ("Azure storage needs", "azure"),
    **dict.fromkeys(("boto3", "botocore", "s3transfer"), ("S3 storage needs", "s3")),
    **dict.fromkeys(
        ("fastapi", "starlette", "uvicorn", "jwt", "prometheus_client", "multipart", "jinja2"),
        ("the service needs", "service"),
    ),
}


def missing_extra_message(error: ModuleNotFoundError) -> str | None:
    """The one-line hint for a module an extra provides, or None for any other missing module."""
    found = _PROVIDERS.get((error.name or "").partition(".")[0])
    if found is None:
        return None
    needs, extra = found
    return f"{needs} the extra: pip install 'pixcrawler[{extra}]'"
