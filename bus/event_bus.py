"""The event bus: committed announcements out through `broadcaster`, and back in to listeners.

Each instance subscribes once per channel on the broadcast backend and hands every event
to its local listeners through bounded queues: a listener that cannot keep up is told it
overflowed (its subscription ends) instead of growing memory without limit. Events only
wake subscribers up; the rows are read from the database, so an event lost on the way
(Redis restarting, a client reconnecting) costs a re-read, never data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from broadcaster import BroadcastBackend
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from bus.memory_backend import MemoryBackend
from bus.redis_backend import SupervisedRedisBackend
from db.engine import Database
from domain.announcements import Announcement, announcements

log = logging.getLogger("workcloud.bus")


@dataclass(frozen=True)
class Resync:
    """The bus may have missed events: re-read from the database."""


RESYNC = Resync()


class ListenerOverflow(Exception):
    """A listener fell so far behind that its bounded queue filled up."""


class Listener:
    def __init__(self, maxsize: int) -> None:
        self._queue: asyncio.Queue[dict[str, Any] | Resync | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def offer(self, item: dict[str, Any] | Resync) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            # Free the memory now; `get` reports the overflow to the subscription.
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def get(self) -> dict[str, Any] | Resync:
        item = await self._queue.get()
        if item is None:
            raise ListenerOverflow()
        return item

    def pending(self) -> list[dict[str, Any] | Resync]:
        """Everything queued right now, without waiting."""
        items: list[dict[str, Any] | Resync] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:
                raise ListenerOverflow()
            items.append(item)
        return items


def _backend(url: str) -> BroadcastBackend:
    scheme = urlparse(url).scheme
    if scheme in ("redis", "rediss"):
        return SupervisedRedisBackend(url)
    if scheme == "memory":
        return MemoryBackend(url)
    raise ValueError(f"unsupported broadcast URL scheme: {scheme!r}")


class EventBus:
    def __init__(self, url: str, *, prefix: str = "", queue_size: int = 256) -> None:
        self.url = url
        self._prefix = prefix
        self._queue_size = queue_size
        self._backend = _backend(url)
        self._listeners: dict[str, set[Listener]] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        if isinstance(self._backend, SupervisedRedisBackend):
            self._backend.on_reconnect = self._resync_all

    async def connect(self) -> None:
        await self._backend.connect()
        self._dispatcher = asyncio.create_task(self._dispatch(), name="bus-dispatcher")

    async def disconnect(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
            await self._backend.disconnect()

    @property
    def connected(self) -> bool:
        if self._dispatcher is None or self._dispatcher.done():
            return False
        backend = self._backend
        return backend.healthy if isinstance(backend, SupervisedRedisBackend) else True

    async def publish_all(self, announcements: Sequence[Announcement]) -> None:
        for announcement in announcements:
            message = json.dumps(announcement.payload, separators=(",", ":"))
            try:
                await self._backend.publish(self._prefix + announcement.channel, message)
            except (RedisError, OSError) as error:
                # The rows are committed; listeners catch up from the database on resync.
                log.warning("could not publish on %s: %r", announcement.channel, error)

    @asynccontextmanager
    async def publishing(self, db: Database, tenant_id: int | None) -> AsyncIterator[AsyncSession]:
        """One transaction on `db`; what it announced is published once it has committed, and
        nothing when it rolls back (the only way writes reach the live side)."""
        async with db.transaction(tenant_id) as session:
            yield session
        # Read after the commit: hooks that run as it commits announce too.
        await self.publish_all(announcements(session))

    @asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[Listener]:
        listener = Listener(self._queue_size)
        listeners = self._listeners.get(channel)
        if listeners is None:
            listeners = self._listeners[channel] = set()
            await self._backend.subscribe(self._prefix + channel)
        listeners.add(listener)
        try:
            yield listener
        finally:
            listeners.discard(listener)
            if not listeners and self._listeners.get(channel) is listeners:
                del self._listeners[channel]
                with contextlib.suppress(RedisError, OSError, KeyError):
                    await self._backend.unsubscribe(self._prefix + channel)

    def _resync_all(self) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.offer(RESYNC)

    async def _dispatch(self) -> None:
        prefix_length = len(self._prefix)
        while True:
            event = await self._backend.next_published()
            listeners = self._listeners.get(event.channel[prefix_length:])
            if not listeners:
                continue
            try:
                payload = json.loads(event.message)
            except ValueError:
                log.error("undecodable event on %s", event.channel)
                continue
            for listener in list(listeners):
                listener.offer(payload)
