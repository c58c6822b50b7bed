"""A `broadcaster` backend inside one process, for the embedded default (`memory://`).

Written against broadcaster's public backend interface (`broadcaster.BroadcastBackend`,
`broadcaster.Event`) like the Redis backend beside it, so the bus never touches the
package's private modules. An event published on a channel nobody here listens to is
dropped at once instead of queued.
"""

from __future__ import annotations

import asyncio
from typing import Any

from broadcaster import BroadcastBackend, Event


class MemoryBackend(BroadcastBackend):
    def __init__(self, url: str = "memory://") -> None:
        self._subscribed: set[str] = set()
        self._published: asyncio.Queue[Event] = asyncio.Queue()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def subscribe(self, channel: str) -> None:
        self._subscribed.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._subscribed.discard(channel)

    async def publish(self, channel: str, message: Any) -> None:
        if channel in self._subscribed:
            self._published.put_nowait(Event(channel=channel, message=message))

    async def next_published(self) -> Event:
        while True:
            event = await self._published.get()
            if event.channel in self._subscribed:
                return event
