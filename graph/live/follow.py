"""Replay, then live: the rows of one stream after a cursor, with no gap and no duplicate.

Join the channel in the hub first (it listens from then on, and keeps what arrives);
replay from the database every row after the client's cursor, rendered as the hub renders
an event (render.py) and sent through the same outlet the hub will send through, in order;
then hand the subscriber over to the hub, which delivers from there (hub.py). The socket
handler running the operation set where to hand it (`subscriber.handing_over`); the
resolver's stream yields nothing and simply ends. Rows are always read from the database,
never taken from the event, and access is checked anew for every event. Subscriptions of
one channel resuming from the same cursor at the same moment (a reconnect storm) share each
replayed batch's read (`EventReads.replay`) and, those asking the same thing as the same
kind of viewer, its rendering (replay.py).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import single_statement
from db.streams import REPLAY_BATCH, StreamRow, TableStream, case_stream
from domain.errors import NotAllowed
from domain.viewer import Viewer
from graph.context import Context
from graph.live.case_feed import CHANGES, FeedSubscriber, FeedView
from graph.live.replay import ReplayBatch
from graph.live.subscriber import Access, Handover, Subscriber, handing_over
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
        if after is None:
            # Live only: start from whatever is newest right now.
            watermark = await context.scope.read(stream.newest)
        else:
            watermark = await _replay(context, channel, stream, subscriber, after)
    except Exception:
        subscriber.leave()
        # Strawberry sends the error past the outlet: what was replayed goes out first.
        await handover.outlet.drained()
        raise
    except BaseException:
        subscriber.leave()
        raise
    handover.hand_over(subscriber, watermark)
    return
    yield  # an async generator all the same, which Strawberry runs as the stream


async def _replay(
    context: Context, channel: str, stream: TableStream[M], subscriber: Subscriber, after: int
) -> int:
    """Sends the rows of `channel`'s stream after `after`, batch by batch, each batch read
    once for every subscription of the channel asking for it at the same moment and rendered
    once for those asking the same thing (replay.py); the id of the last row sent."""
    viewer = subscriber.viewer
    db = context.db
    while True:

        async def batch_after(after: int = after) -> ReplayBatch[M]:
            async with db.session(viewer.tenant_id) as session:
                await single_statement(session)
                rows = await stream.rows_after(session, after, REPLAY_BATCH)
            return ReplayBatch(rows, db, viewer.tenant_id)

        key = replay_key(channel, after, viewer)
        batch = await context.services.event_reads.replay(key, batch_after)
        await subscriber.send_replayed(await batch.tails(subscriber))
        if batch.rows:
            after = batch.rows[-1].id
        if len(batch.rows) < REPLAY_BATCH:
            return after


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


@functools.lru_cache(maxsize=4096)
def case_rows(model: Any, case_id: int) -> TableStream[Any]:
    """A case's comments or customer messages (db/streams.case_stream), built once per case:
    after a restart, thousands of subscriptions of one busy case start at once."""
    return case_stream(model, case_id)


def replay_key(channel: str, after: int | None, viewer: Viewer) -> Hashable:
    """Which replays may share a read. The stream is the channel's; who asks is part of the
    key all the same, so that no two tenants, nor staff and a portal contact, nor contacts
    of two customers, ever share rows."""
    return (channel, after, viewer.tenant_id, viewer.kind, viewer.customer_id)


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
