"""The outlet the live hub sends through: in order, without waiting, and never unbounded."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.live.sockets.outlet import SocketOutlet


class Peer:
    """Stands in for Starlette's WebSocket: `send` waits while the client does not read."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.reading = asyncio.Event()
        self.reading.set()
        self.closed_with: int | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.reading.wait()
        self.received.append(message["text"])

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = code


async def test_sends_complete_at_once_while_the_client_reads() -> None:
    peer = Peer()
    outlet = SocketOutlet(peer)  # type: ignore[arg-type]
    for i in range(3):
        outlet.send_text(str(i))
    # No task and no turn of the event loop needed.
    assert peer.received == ["0", "1", "2"]


async def test_a_client_that_catches_up_gets_everything_in_order() -> None:
    peer = Peer()
    outlet = SocketOutlet(peer, limit=10)  # type: ignore[arg-type]
    outlet.send_text("a")
    peer.reading.clear()
    for text in "bcdef":
        outlet.send_text(text)
    await asyncio.sleep(0.01)
    assert peer.received == ["a"]
    peer.reading.set()
    outlet_done = asyncio.get_running_loop().time() + 2
    while peer.received != list("abcdef"):
        assert asyncio.get_running_loop().time() < outlet_done, peer.received
        await asyncio.sleep(0.01)
    outlet.send_text("g")  # back to sending at once
    assert peer.received == list("abcdefg")
    assert peer.closed_with is None


async def test_a_client_that_stops_reading_is_closed_with_1013() -> None:
    peer = Peer()
    outlet = SocketOutlet(peer, limit=5)  # type: ignore[arg-type]
    peer.reading.clear()
    for i in range(20):
        outlet.send_text(str(i))
    await asyncio.sleep(0.01)
    assert peer.closed_with == 1013
    peer.reading.set()
    await asyncio.sleep(0.01)
    outlet.send_text("after")
    # At most the message that was being sent and the backlog's limit; nothing after.
    assert len(peer.received) <= 6
    assert "after" not in peer.received


async def test_a_client_that_reads_slowly_costs_no_task() -> None:
    peer = Peer()
    outlet = SocketOutlet(peer, limit=10)  # type: ignore[arg-type]
    tasks = asyncio.all_tasks()
    peer.reading.clear()
    for text in "abc":
        outlet.send_text(text)
    # The waiting send resumes from a callback on what it waits for; the rest queue behind.
    assert asyncio.all_tasks() == tasks
    peer.reading.set()
    await asyncio.sleep(0)
    assert peer.received == list("abc")


async def test_a_replay_waits_for_the_client_instead_of_filling_the_backlog() -> None:
    peer = Peer()
    outlet = SocketOutlet(peer, limit=2)  # type: ignore[arg-type]
    await asyncio.wait_for(outlet.drained(), 1)  # nothing behind: at once
    peer.reading.clear()

    async def replay() -> None:
        for i in range(10):  # five times the backlog's limit
            await outlet.drained()
            outlet.send_text(str(i))

    replaying = asyncio.ensure_future(replay())
    await asyncio.sleep(0.01)
    assert not replaying.done()
    peer.reading.set()
    await asyncio.wait_for(replaying, 1)
    await asyncio.sleep(0)
    assert peer.received == [str(i) for i in range(10)]
    assert peer.closed_with is None


async def test_nobody_waits_on_a_client_that_was_cut_off() -> None:
    peer = Peer()
    outlet = SocketOutlet(peer, limit=1)  # type: ignore[arg-type]
    peer.reading.clear()
    outlet.send_text("a")
    waiting = asyncio.ensure_future(outlet.drained())
    await asyncio.sleep(0)
    for text in "bcd":
        outlet.send_text(text)  # over the limit: closed with 1013
    await asyncio.wait_for(waiting, 1)
    await asyncio.wait_for(outlet.drained(), 1)
