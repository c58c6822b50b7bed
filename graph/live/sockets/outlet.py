"""Writing to one WebSocket: in order, without a task or a wait per message, never unbounded."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Coroutine
from typing import Any

from starlette.websockets import WebSocket

# Messages a client that stopped reading may fall behind by before it is cut off (1013);
# the app sets it from WORKCLOUD_SUBSCRIPTION_QUEUE_SIZE.
BACKLOG_LIMIT = 256


class SocketOutlet:
    """Sends text on one WebSocket in order, without a task or a wait per message.

    A send usually completes at once (the transport takes the bytes), so its coroutine is
    run to its end on the spot. Only when the client reads slower than it is sent to does
    a send have to wait (for the transport's buffer to drain); then it resumes from a
    callback on what it waits for, and what is sent meanwhile queues behind it, in order.
    A client that falls `limit` messages behind is closed with 1013 (try again later).
    """

    __slots__ = ("_backlog", "_closed", "_closer", "_limit", "_sending", "_waiters", "_websocket")

    def __init__(self, websocket: WebSocket, limit: int = BACKLOG_LIMIT) -> None:
        self._websocket = websocket
        self._limit = limit
        # The send under way while it waits, and what queues behind it (only then: an idle
        # socket keeps no queue).
        self._sending: Coroutine[Any, Any, None] | None = None
        self._backlog: deque[str] | None = None
        self._closed = False
        self._closer: asyncio.Task[None] | None = None
        # Who waits for the backlog to drain (`drained`); only while there is one.
        self._waiters: list[asyncio.Future[None]] | None = None

    async def drained(self) -> None:
        """Returns once nothing queues behind a send: at once while the client reads. A
        replay, which may be long, waits here before each message instead of filling the
        backlog (whose limit is for live events)."""
        if self._backlog is None or self._closed:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter

    def _release_waiters(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def send_text(self, text: str) -> None:
        if self._closed:
            return
        if self._backlog is not None:
            if len(self._backlog) >= self._limit:
                self._too_slow()
            else:
                self._backlog.append(text)
            return
        sending = self._send(text)
        try:
            waiting_for = sending.send(None)
        except StopIteration:
            return  # sent: the usual case
        except (Exception, asyncio.CancelledError):
            self._gone()  # the socket is gone; its handler is shutting down
            return
        self._sending = sending
        self._backlog = deque()
        self._wait(waiting_for)

    def _send(self, text: str) -> Coroutine[Any, Any, None]:
        return self._websocket.send({"type": "websocket.send", "text": text})

    def _wait(self, waiting_for: object) -> None:
        """Resumes the send under way once what it waits for is done."""
        if isinstance(waiting_for, asyncio.Future):
            waiting_for.add_done_callback(self._resume)
        elif waiting_for is None:  # a bare yield: one turn of the event loop
            asyncio.get_running_loop().call_soon(self._resume)
        else:
            self._gone()  # not something asyncio waits on

    def _resume(self, _waited: object = None) -> None:
        """Runs the send under way as far as it goes without waiting, then the backlog."""
        while self._sending is not None:
            try:
                waiting_for = self._sending.send(None)
            except StopIteration:
                if self._backlog:
                    self._sending = self._send(self._backlog.popleft())
                else:
                    self._sending = self._backlog = None  # caught up
                    self._release_waiters()
                continue
            except (Exception, asyncio.CancelledError):
                self._gone()
                return
            self._wait(waiting_for)
            return

    def _gone(self) -> None:
        self._closed = True
        self._backlog = None
        if self._sending is not None:
            self._sending.close()
            self._sending = None
        self._release_waiters()  # nothing more will be sent: nobody waits for it

    def _too_slow(self) -> None:
        self._closed = True
        if self._backlog is not None:
            self._backlog.clear()
        self._release_waiters()
        self._closer = asyncio.ensure_future(self._close(1013, "too slow"))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._websocket.close(code=code, reason=reason), timeout=2)
