"""A stream of rows read from one table, by id, and how to tell that events follow on.

Each event names its row and the row before it in the same stream (`prev`). Ids within a
stream follow commit order (db/streams.py), so when `prev` is the last row delivered the
event's row is simply next; otherwise something was missed (an event lost while Redis
restarted, or events arriving out of order) and the rows after the last delivered one
are read again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

REPLAY_BATCH = 100


class StreamRow(Protocol):
    @property
    def id(self) -> int: ...


M = TypeVar("M", bound=StreamRow)


class TableStream(Generic[M]):
    """A stream read from one table: the rows of `model` that match `condition`, by id."""

    def __init__(self, model: type[M], condition: ColumnElement[bool]) -> None:
        self._model: Any = model
        self._condition = condition

    async def rows_after(self, session: AsyncSession, after: int | None, limit: int) -> list[M]:
        statement = select(self._model).where(self._condition)
        if after is not None:
            statement = statement.where(self._model.id > after)
        return list((await session.scalars(statement.order_by(self._model.id).limit(limit))).all())

    async def rows_by_id(self, session: AsyncSession, ids: Sequence[int]) -> list[M]:
        statement = select(self._model).where(self._condition, self._model.id.in_(ids))
        return list((await session.scalars(statement.order_by(self._model.id))).all())

    async def newest(self, session: AsyncSession) -> int | None:
        newest: int | None = await session.scalar(
            select(func.max(self._model.id)).where(self._condition)
        )
        return newest


def contiguous(events: Sequence[object], watermark: int | None) -> bool:
    """Whether these events follow on from `watermark` with nothing missing between."""
    last = watermark
    for event in events:
        if not isinstance(event, dict):
            return False  # a resync: the bus may have missed events
        event_id = int(event["id"])
        if last is not None and event_id <= last:
            continue  # already delivered (a replayed row's event arriving late)
        if event.get("prev") != last:
            return False
        last = event_id
    return True
