"""A `broadcaster` backend for Redis pub/sub that survives Redis restarts.

broadcaster's own Redis backend lets its listener die when the connection drops and never
subscribes again. This one supervises the listener: on any connection error it reconnects
with backoff, resubscribes to every channel, reports itself unhealthy meanwhile, and calls
`on_reconnect` so subscribers can catch up from the database on what was published while
it was away (Redis pub/sub keeps nothing for absent listeners).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from broadcaster import BroadcastBackend, Event
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger("workcloud.bus")

# Always subscribed, so the pub/sub connection exists even before the first listener.
HEARTBEAT_CHANNEL = "workcloud.bus.heartbeat"


class SupervisedRedisBackend(BroadcastBackend):
    def __init__(self, url: str, *, max_backoff: float = 5.0) -> None:
        self._url = url
        self._max_backoff = max_backoff
        self._channels: set[str] = {HEARTBEAT_CHANNEL}
        self._events: asyncio.Queue[Event] = asyncio.Queue(maxsize=10_000)
        self._publisher: Redis | None = None
        self._pubsub: PubSub | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.healthy = False
        self.on_reconnect: Callable[[], None] | None = None

    async def connect(self) -> None:
        self._publisher = Redis.from_url(self._url, socket_timeout=5, socket_connect_timeout=3)
        self._supervisor = asyncio.create_task(self._supervise(), name="redis-bus-supervisor")
        # Start serving even when Redis is down: /health reports it and we keep retrying.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=3)

    async def disconnect(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._close_pubsub()
        if self._publisher is not None:
            await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        if self._pubsub is not None and self.healthy:
            try:
                await self._pubsub.subscribe(channel)
            except (RedisError, OSError) as error:
                # The supervisor resubscribes every channel once it has reconnected.
                log.warning("subscribe to %s failed: %r", channel, error)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        if self._pubsub is not None and self.healthy:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        assert self._publisher is not None
        await self._publisher.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._events.get()

    async def ping(self) -> None:
        assert self._publisher is not None
        await self._publisher.ping()

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _supervise(self) -> None:
        backoff = 0.1
        connected_before = False
        while True:
            try:
                self._pubsub = Redis.from_url(
                    self._url, socket_connect_timeout=3, health_check_interval=5
                ).pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(*self._channels)
                self.healthy = True
                self._ready.set()
                backoff = 0.1
                if connected_before and self.on_reconnect is not None:
                    self.on_reconnect()
                connected_before = True
                await self._listen(self._pubsub)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                if self.healthy:
                    log.warning("lost the Redis pub/sub connection: %r; reconnecting", error)
            self.healthy = False
            self._ready.set()
            await self._close_pubsub()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def _listen(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            if channel == HEARTBEAT_CHANNEL:
                continue
            event = Event(channel=channel, message=message["data"].decode())
            try:
                self._events.put_nowait(event)
            except asyncio.QueueFull:
                log.error("bus backlog full; dropped an event on %s", channel)
