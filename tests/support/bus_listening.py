"""Listening on the server's event bus from a test, from a moment known to be covered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bus.event_bus import Listener
from domain.announcements import Announcement
from tests.support.client import Api, eventually, unique


@asynccontextmanager
async def listening(api: Api, channel: str) -> AsyncIterator[Listener]:
    """A listener on the server's bus that hears everything published on `channel` from now on."""
    async with api.services.bus.listen(channel) as listener:
        await _subscribed(api, channel)
        yield listener


async def _subscribed(api: Api, channel: str) -> None:
    """Waits for Redis to have taken the bus's SUBSCRIBE, which the client only sends."""
    settings = api.settings
    if not settings.broadcast_url.startswith("redis"):
        return  # the in-process backend subscribes at once
    name = settings.broadcast_channel_prefix + channel
    redis = Redis.from_url(settings.broadcast_url)

    async def counted() -> bool:
        [(_name, subscribers)] = await redis.pubsub_numsub(name)
        return int(subscribers) > 0

    try:
        await eventually(counted, what=f"Redis to subscribe the bus to {name}")
    finally:
        await redis.aclose()


async def heard_so_far(api: Api, timeout: float = 5.0) -> None:
    """Returns once everything published on the bus before has reached its listeners.

    One publisher's messages reach the bus's one subscription in order, whatever their
    channel, and the bus hands each to its listeners before the next: so a marker published
    now on a channel of its own, once it is back, has everything earlier behind it.
    """
    channel = unique("test.heard-so-far")
    async with listening(api, channel) as listener:
        marker = {"marker": channel}
        await api.services.bus.publish_all([Announcement(channel, marker)])
        assert await asyncio.wait_for(listener.get(), timeout) == marker
