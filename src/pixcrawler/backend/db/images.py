"""Per-image outcomes of a job, upserted by ``(job_id, url, label)`` so redelivery is harmless."""

from typing import Any

from sqlalchemy.orm import Session

from pixcrawler.backend.db._base import utcnow
from pixcrawler.backend.db._statements import conflict_insert
from pixcrawler.backend.db.chunks import touch_chunk
from pixcrawler.backend.db.models import Image

_KEY = ("job_id", "url", "label")
#: Columns a row may set; ``url``, ``label`` and ``status`` are required.
IMAGE_FIELDS = frozenset(
    column.key for column in Image.__table__.columns if column.key not in {"id", "job_id"}
) - {"chunk_id", "updated_at"}
_DEFAULTS: dict[str, Any] = {name: None for name in IMAGE_FIELDS} | {"reason": "", "attempts": 0}
_REQUIRED = frozenset({"url", "label", "status"})
_BATCH = 500


def record_images(
    session: Session, *, job_id: str, chunk_id: int | None, rows: list[dict[str, Any]]
) -> int:
    """Insert or replace the outcome rows of ``chunk_id`` (``INSERT … ON CONFLICT DO UPDATE``).

    Each row is a dict of :data:`IMAGE_FIELDS` (the manifest fields plus ``file_key``); fields it
    leaves out are reset to their defaults, because the latest outcome replaces the earlier one
    whole. Within ``rows`` the last row for a ``(url, label)`` wins. Also refreshes the chunk's
    ``updated_at`` (a heartbeat for :func:`~pixcrawler.backend.db.chunks.resumable_chunks`).

    Returns:
        The number of distinct images written (inserted or updated).

    Raises:
        ValueError: a row has an unknown field or lacks ``url``, ``label`` or ``status``.
    """
    now = utcnow()
    unique = {(row["url"], row["label"]): row for row in map(_checked, rows)}
    values = [
        {**_DEFAULTS, **row, "job_id": job_id, "chunk_id": chunk_id, "updated_at": now}
        for row in unique.values()
    ]
    if not values:
        return 0
    statement = conflict_insert(session, Image.__table__)
    replaced = {name: statement.excluded[name] for name in values[0] if name not in _KEY}
    upsert = statement.on_conflict_do_update(index_elements=list(_KEY), set_=replaced)
    for first in range(0, len(values), _BATCH):
        session.execute(upsert, values[first : first + _BATCH])
    if chunk_id is not None:
        touch_chunk(session, chunk_id=chunk_id)
    return len(values)


def _checked(row: dict[str, Any]) -> dict[str, Any]:
    unknown = set(row) - IMAGE_FIELDS
    if unknown:
        raise ValueError(f"unknown image fields: {sorted(unknown)}")
    missing = _REQUIRED - set(row)
    if missing:
        raise ValueError(f"image row lacks {sorted(missing)}")
    return row
