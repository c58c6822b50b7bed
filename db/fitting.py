"""Text we compose (a mail subject, a sender's name) cut to the column it is stored in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import QueryableAttribute

ELLIPSIS = "…"


def fitted(column: QueryableAttribute[Any], text: str) -> str:
    """`text`, or as much of it as the column holds, ending in "…".

    By characters, as PostgreSQL counts `varchar(n)`, so a cut never splits one. What a
    person types is checked against the same limits and refused instead; this is for text
    put together from several parts, each of which fits on its own.
    """
    column_type = column.type
    limit = column_type.length if isinstance(column_type, String) else None
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
