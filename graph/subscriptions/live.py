"""Replay, then live: the rows of one stream after a cursor, with no gap and no duplicate.

Subscribe to the channel first and let events buffer; replay from the database every row
after the client's cursor; then go live. Each event names its row and the row before it in
the same stream (`prev`). Ids within a stream follow commit order (db/streams.py), so when
`prev` is the last row delivered the event's row is simply next; otherwise something was
missed (an event lost while Redis restarted, or events arriving out of order) and the rows
after the last delivered one are read again. Rows are always read from the database, and
access is checked anew for every event; what all subscribers of an event read alike is
read once for all of them (event_reads.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket

from domain.errors import NotAllowed
from graph.context import Context
from graph.subscriptions.bus import ListenerOverflow, Resync
from graph.subscriptions.event_reads import EventReads

REPLAY_BATCH = 100


class StreamRow(Protocol):
    @property
    def id(self) -> int: ...


M = TypeVar("M", bound=StreamRow)

# May this subscriber still see the stream? Asked before every event.
StillAllowed = Callable[[EventReads], Awaitable[bool]]


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


async def follow(
    context: Context,
    channel: str,
    stream: TableStream[M],
    *,
    after: int | None,
    still_allowed: StillAllowed,
) -> AsyncIterator[M]:
    """`stream`'s rows after `after` (or from now), then live ones as `channel` announces them."""
    scope = context.scope
    services = context.services
    tenant_id = context.signed_in().tenant_id
    async with services.bus.listen(channel) as listener:
        watermark = after
        if after is None:
            # Live only: start from whatever is newest right now.
            watermark = await scope.read(stream.newest)
        else:
            async for row in _read_after(context, stream, watermark):
                watermark = row.id
                yield row
        while True:
            await scope.release()
            try:
                items: list[dict[str, Any] | Resync] = [
                    await listener.get(),
                    *listener.pending(),
                ]
            except ListenerOverflow:
                await _drop_slow_client(context)
                raise NotAllowed(
                    "This subscriber fell too far behind and was disconnected."
                ) from None
            await scope.renew()
            if not await still_allowed(services.event_reads):
                return
            if _contiguous(items, watermark):
                ids = [int(item["id"]) for item in items if isinstance(item, dict)]
                fresh = [i for i in ids if watermark is None or i > watermark]

                async def fetch(fresh: list[int] = fresh) -> list[M]:
                    async with services.db.session(tenant_id) as session:
                        return await stream.rows_by_id(session, fresh)

                for row in await services.event_reads.rows(channel, fresh, fetch):
                    watermark = row.id
                    yield row
            else:
                async for row in _read_after(context, stream, watermark):
                    watermark = row.id
                    yield row


def _contiguous(items: Sequence[dict[str, Any] | Resync], watermark: int | None) -> bool:
    """Whether these events follow on from `watermark` with nothing missing between."""
    last = watermark
    for item in items:
        if isinstance(item, Resync):
            return False
        item_id = int(item["id"])
        if last is not None and item_id <= last:
            continue  # already delivered (a replayed row's event arriving late)
        prev = item.get("prev")
        if prev != last:
            return False
        last = item_id
    return True


async def _read_after(
    context: Context, stream: TableStream[M], after: int | None
) -> AsyncIterator[M]:
    scope = context.scope
    while True:
        await scope.renew()

        async def batch_after(session: AsyncSession, after: int | None = after) -> list[M]:
            return await stream.rows_after(session, after, REPLAY_BATCH)

        batch: list[M] = await scope.read(batch_after)
        for row in batch:
            after = row.id
            yield row
        if len(batch) < REPLAY_BATCH:
            return


async def _drop_slow_client(context: Context) -> None:
    """Closes the socket of a client that stopped reading (1013: try again later)."""
    websocket = context.request
    if isinstance(websocket, WebSocket):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=1013, reason="too slow"), timeout=2)
