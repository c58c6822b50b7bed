"""Replay, then live: the rows of one stream after a cursor, with no gap and no duplicate.

Listen on the channel first and let events gather; replay from the database every row
after the client's cursor; then go live. On a graphql-transport-ws socket, going live means
parking the subscription in the hub (hub.py), whose one dispatcher per channel serves all
of its subscribers. Elsewhere (the legacy graphql-ws protocol) the subscription keeps its
own loop over its own listener. Either way rows are read from the database, never taken
from the event, and access is checked anew before every event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket

from bus.event_bus import ListenerOverflow
from db.streams import REPLAY_BATCH, StreamRow, TableStream, contiguous
from domain.errors import NotAllowed
from graph.context import Context
from graph.subscriptions.event_reads import EventReads
from graph.subscriptions.parking import Access, LiveSubscriber, Parked, parking

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
    spot = parking.get()
    if spot is None or spot.taken:
        async for row in _follow_alone(context, channel, stream, after=after, access=access):
            yield to_payload(row)
        return
    spot.taken = True
    viewer = context.signed_in()
    hub = context.services.live
    subscriber = LiveSubscriber(
        outlet=spot.outlet,
        operation_id=spot.operation_id,
        request=spot.request,
        context=context,
        viewer=viewer,
        to_payload=to_payload,
    )
    await hub.join(channel, stream, access, subscriber)
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
        hub.leave(subscriber)
        raise
    hub.go_live(subscriber, watermark)
    spot.on_park(subscriber, lambda: hub.leave(subscriber))
    raise Parked()


async def still_allowed(reads: EventReads, context: Context, access: Access) -> bool:
    viewer = context.signed_in()
    if access.case_id is None:
        return await reads.still_signed_in(viewer)
    return await reads.may_see_case(viewer, access.case_id)


async def _follow_alone(
    context: Context,
    channel: str,
    stream: TableStream[M],
    *,
    after: int | None,
    access: Access,
) -> AsyncIterator[M]:
    scope = context.scope
    services = context.services
    tenant_id = context.signed_in().tenant_id
    async with services.bus.listen(channel) as listener:
        watermark = after
        if after is None:
            watermark = await scope.read(stream.newest)
        else:
            async for row in _read_after(context, stream, watermark):
                watermark = row.id
                yield row
        while True:
            await scope.release()
            try:
                items: list[Any] = [await listener.get(), *listener.pending()]
            except ListenerOverflow:
                await _drop_slow_client(context)
                raise NotAllowed(
                    "This subscriber fell too far behind and was disconnected."
                ) from None
            await scope.renew()
            if not await still_allowed(services.event_reads, context, access):
                return
            if contiguous(items, watermark):
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
