"""Names of rows by id, for the event log and the search text.

A write has usually just loaded the rows it names (to check them), so they are taken from
the session's identity map; only the others are read, in one query per model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session


async def names_by_id(session: AsyncSession, model: Any, ids: Iterable[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    missing: set[int] = set()
    loaded = session.sync_session.identity_map
    for id_ in set(ids):
        row = loaded.get(Session.identity_key(model, id_))
        if row is not None:
            names[id_] = row.name
        else:
            missing.add(id_)
    if missing:
        rows = await session.execute(select(model.id, model.name).where(model.id.in_(missing)))
        names.update({id_: name for id_, name in rows})
    return names
