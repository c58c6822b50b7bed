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
from graph.live.case_feed import CHANGES, FeedSubscriber, FeedView
from graph.live.subscriber import Access, Handover, handing_over
from graph.types.case_change import CaseChange

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
    handover = _handover()
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


async def follow_changes(
    context: Context, view: FeedView, *, after: int | None
) -> AsyncIterator[CaseChange]:
    """The changes after `after` (or from now) that concern `view`, then live ones, from
    the tenant's feed (case_feed.py)."""
    handover = _handover()
    subscriber = FeedSubscriber(
        outlet=handover.outlet,
        operation_id=handover.operation_id,
        head=handover.head,
        request=handover.request,
        context=context,
        viewer=context.signed_in(),
        to_payload=CaseChange.from_row,
        view=view,
    )
    await context.services.case_feeds.join(subscriber)
    try:
        position = after
        if after is None:
            position = await context.scope.read(CHANGES.newest) or 0
        else:
            async for change in _read_after(context, CHANGES, after):
                position = change.id
                if view.wants(change):
                    yield CaseChange.from_row(change)
    except BaseException:
        subscriber.leave()
        raise
    handover.hand_over(subscriber, position)


def _handover() -> Handover:
    handover = handing_over.get()
    if handover is None:
        raise NotAllowed("Subscriptions run over a WebSocket (graphql-transport-ws or graphql-ws).")
    return handover
