"""A chunk's built rows, kept in storage until the database has them.

Recording a chunk needs the job database; if it fails then (an outage at settle time), the task
retries. Without these rows the retry would build the chunk again from scratch — every download
repeated, an always-503 URL asked 3 more times per retry. So the rows are saved next to the
chunk's stored images before settling, and a later run of the chunk records them instead of
building; they are deleted once recorded.
"""

import json
from dataclasses import asdict

from pixcrawler.backend.storage import StorageProvider
from pixcrawler.errors import NotFoundError
from pixcrawler.records import ManifestRow, Status


def results_key(job_id: str, chunk_id: int) -> str:
    """Where a chunk's unrecorded rows are kept (outside the dataset tree)."""
    return f"jobs/{job_id}/chunks/{chunk_id}/rows.jsonl"


def save_results(storage: StorageProvider, key: str, rows: list[ManifestRow]) -> None:
    """Keep ``rows`` until they are recorded."""
    lines = (json.dumps(asdict(row), separators=(",", ":")) for row in rows)
    storage.put(key, "\n".join(lines).encode(), content_type="application/x-ndjson")


def load_results(storage: StorageProvider, key: str) -> list[ManifestRow] | None:
    """The rows an earlier run of the chunk built but did not record, or None."""
    try:
        text = storage.get(key).decode()
    except NotFoundError:
        return None
    rows = []
    for line in filter(None, text.split("\n")):
        fields = json.loads(line)
        rows.append(ManifestRow(**{**fields, "status": Status(fields["status"])}))
    return rows


def drop_results(storage: StorageProvider, key: str) -> None:
    """Forget the rows once the database has them (a missing key is fine)."""
    storage.delete(key)
