"""Path and body id types bounded to what the database columns hold.

An id the database cannot store (a 20-digit number, a NUL byte) must answer 422 or 404, not a
500 from the driver: SQLite refuses integers past 64 bits, PostgreSQL past 32 bits for the
``INTEGER`` ids and any text with NUL.
"""

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

#: Largest id of an ``INTEGER`` key (users, projects, datasets, API keys) on PostgreSQL.
MAX_ID = 2**31 - 1
#: Largest id of a ``BIGINT`` key (images, activity).
MAX_BIG_ID = 2**63 - 1

ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[3])]
DatasetId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[11])]
KeyId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[4])]
ImageId = Annotated[int, Path(ge=1, le=MAX_BIG_ID, examples=[901])]
JobId = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", examples=["5b0c2f7e-0d3c-4c4e-9f57-2a5e8f1f8a21"]),
]
ProjectFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this project's.")]
#: An id in a request body.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
