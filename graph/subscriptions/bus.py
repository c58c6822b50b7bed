"""The event bus: publishes committed announcements on `broadcaster` channels."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from broadcaster import Broadcast
from broadcaster._base import Unsubscribed

from domain.announcements import Announcement


class EventBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._broadcast = Broadcast(url)
        self._connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            await self._broadcast.disconnect()

    @property
    def connected(self) -> bool:
        return self._connected

    async def publish_all(self, announcements: Sequence[Announcement]) -> None:
        for announcement in announcements:
            await self._broadcast.publish(
                announcement.channel, json.dumps(announcement.payload, separators=(",", ":"))
            )

    @asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        async with self._broadcast.subscribe(channel) as subscriber:

            async def events() -> AsyncIterator[dict[str, Any]]:
                while True:
                    try:
                        event = await subscriber.get()
                    except Unsubscribed:
                        return
                    payload: dict[str, Any] = json.loads(event.message)
                    yield payload

            yield events()
