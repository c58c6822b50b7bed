"""The event bus: bounded listeners, keep-alive pings on idle sockets."""

from __future__ import annotations

import asyncio
import json

import pytest

from bus.event_bus import EventBus, ListenerOverflow
from domain.announcements import Announcement
from tests.conftest import TEST_PING_INTERVAL
from tests.support.client import Api


async def test_a_listener_that_stops_reading_is_cut_off_not_grown() -> None:
    bus = EventBus("memory://", queue_size=3)
    await bus.connect()
    try:
        async with bus.listen("case1.comments") as slow, bus.listen("case1.comments") as fast:
            for i in range(10):
                await bus.publish_all([Announcement("case1.comments", {"id": i})])
                assert await asyncio.wait_for(fast.get(), 1) == {"id": i}
            assert slow.overflowed
            with pytest.raises(ListenerOverflow):
                await slow.get()
    finally:
        await bus.disconnect()


async def test_idle_websocket_gets_pings(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        raw = await asyncio.wait_for(socket.socket.recv(), TEST_PING_INTERVAL * 4)
        assert json.loads(raw) == {"type": "ping"}
        await socket.send({"type": "pong"})
        payload = await socket.execute("{ viewer { kind } }")
        assert payload == {"data": {"viewer": {"kind": "STAFF"}}}
