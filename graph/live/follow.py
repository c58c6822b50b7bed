"""Replay, then live: the rows of one stream after a cursor, with no gap and no duplicate.

Join the channel in the hub first (it listens from then on, and keeps what arrives);
replay from the database every row after the client's cursor, through Strawberry like any
operation's result; then hand the subscriber over to the hub, which delivers from there
(hub.py). The socket handler running the operation set where to hand it
(`subscriber.handing_over`); the resolver's stream then simply ends. Rows are always read
from the database, never taken from the event, and access is checked anew for every event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from db.streams import REPLAY_BATCH, StreamRow, TableStream
from domain.errors import NotAllowed
from graph.context import Context
from graph.live.subscriber import Access, handing_over

M = TypeVar("M", bound=StreamRow)
P = TypeVar("P")


async def follow(
    context: Context,
    channel: str,
    stream: TableStream[M],
    *,
    after: int | None,
    access: Access,
    to_payload: Callable[[M], P],
) -> AsyncIterator[P]:
    """`stream`'s rows after `after` (or from now), then live ones as `channel` announces them."""
    handover = handing_over.get()
    if handover is None:
        raise NotAllowed("Subscriptions run over a WebSocket (graphql-transport-ws or graphql-ws).")
    subscriber = handover.subscriber(context, context.signed_in(), to_payload)
    await context.services.live.join(channel, stream, access, subscriber)
    try:
        watermark = after
        if after is None:
            # Live only: start from whatever is newest right now.
            watermark = await context.scope.read(stream.newest)
        else:
            async for row in _read_after(context, stream, watermark):
                watermark = row.id
                yield to_payload(row)
    except BaseException:
        subscriber.leave()
        raise
    handover.hand_over(subscriber, watermark)


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
