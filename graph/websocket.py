"""The graphql-transport-ws connection: keep-alive pings, and subscriptions parked in the hub.

Proxies and load balancers drop WebSockets that stay silent; the protocol's own `ping`
message keeps them open (clients answer with `pong`).

A subscription that has replayed what its client missed is parked in the hub
(graph/subscriptions/hub.py): its operation stays registered here, so that `complete`,
a reused id and the per-socket limit work as for any operation, but it has no task of its
own any more; the hub sends its events through this socket's outlet.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from graph.open_sockets import SIGN_IN_ENDED
from graph.subscriptions.parking import LiveSubscriber, Parked, ParkingSpot, Request, parking

# Messages a client that stopped reading may fall behind by before it is cut off (1013);
# the app sets it from WORKCLOUD_SUBSCRIPTION_QUEUE_SIZE.
BACKLOG_LIMIT = 256
PING = '{"type":"ping"}'
# Operation ids are the client's own (graphql-ws uses UUIDs); anything longer is not one.
MAX_ID_LENGTH = 128


class SocketOutlet:
    """Sends text on one WebSocket in order, without a task or a wait per message.

    Sending usually completes at once (the transport takes the bytes); only when the
    client reads slower than it is sent to does the server's send wait, and then the
    rest of that send and everything after it go through one task, in order. A client
    that falls `limit` messages behind is closed with 1013 (try again later).
    """

    def __init__(self, websocket: WebSocket, limit: int = BACKLOG_LIMIT) -> None:
        self._websocket = websocket
        self._limit = limit
        self._backlog: deque[str] | None = None
        self._closed = False

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
            return
        except Exception:
            self._closed = True  # the socket is gone; its handler is shutting down
            return
        self._backlog = deque()
        self._finisher = asyncio.ensure_future(self._finish(sending, waiting_for))

    def _send(self, text: str) -> Coroutine[Any, Any, None]:
        return self._websocket.send({"type": "websocket.send", "text": text})

    async def _finish(self, sending: Coroutine[Any, Any, None], waiting_for: Any) -> None:
        """Drives the send that had to wait to its end, then sends the backlog in order."""
        try:
            while True:
                if waiting_for is None:
                    await asyncio.sleep(0)
                else:
                    # What a task does with the future a coroutine yields: wait for it.
                    waiting_for._asyncio_future_blocking = False
                    await waiting_for
                try:
                    waiting_for = sending.send(None)
                except StopIteration:
                    break
            while self._backlog:
                await self._websocket.send({"type": "websocket.send", "text": self._backlog[0]})
                self._backlog.popleft()
        except Exception:
            self._closed = True
        finally:
            sending.close()
            self._backlog = None

    def _too_slow(self) -> None:
        self._closed = True
        self._backlog = None
        self._closer = asyncio.ensure_future(self._close(1013, "too slow"))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._websocket.close(code=code, reason=reason), timeout=2)


class LiveSocketHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """Strawberry's graphql-transport-ws handler, with pings and parked subscriptions."""

    ping_interval: float = 15.0
    backlog_limit: int = BACKLOG_LIMIT

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        self._outlet = SocketOutlet(self.websocket.ws, self.backlog_limit)  # type: ignore[attr-defined]
        self._parked: dict[str, Callable[[], None]] = {}
        # A timer, not a task: an idle socket should cost as little as possible.
        self._pinger: asyncio.TimerHandle | None = None
        if self.ping_interval > 0:
            self._pinger = asyncio.get_running_loop().call_later(self.ping_interval, self._ping)

    def _ping(self) -> None:
        if self.connection_acknowledged:
            self._outlet.send_text(PING)
        self._pinger = asyncio.get_running_loop().call_later(self.ping_interval, self._ping)

    async def run_operation(self, operation: Operation[Any, None]) -> None:
        request = Request(
            self.schema, operation.query, operation.variables, operation.operation_name
        )
        spot = ParkingSpot(self, operation.id, request)
        spot.on_park = self._park
        parking.set(spot)
        with contextlib.suppress(Parked):
            await super().run_operation(operation)

    def _park(self, subscriber: LiveSubscriber, leave: Callable[[], None]) -> None:
        self._parked[subscriber.operation_id] = leave
        operation = self.operations.get(subscriber.operation_id)
        if operation is not None:
            operation.task = None  # it ends now; the hub holds the subscription

    async def handle_message(self, message: Message) -> None:
        problem = malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        # Signed in at connection_init, but every operation runs with the token as it is
        # now: revoked or expired since, the socket is closed instead.
        if (
            message["type"] == "subscribe"
            and self.connection_acknowledged
            and not await self.view.still_signed_in(self.context)  # type: ignore[attr-defined]
        ):
            await self.websocket.close(code=SIGN_IN_ENDED, reason="Forbidden")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        self.connection_init_timeout_task = None  # done with: nothing to keep per socket

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        if isinstance(payload, dict) and type(payload.get("query")) is str:
            # Thousands of sockets subscribe with the same few documents: keep one copy.
            payload["query"] = sys.intern(payload["query"])
        await super().handle_subscribe(message)

    # The hub's side (parking.Outlet).
    def send_text(self, text: str) -> None:
        self._outlet.send_text(text)

    def end(self, operation_id: str) -> None:
        leave = self._parked.pop(operation_id, None)
        if leave is None:
            return
        leave()
        self.operations.pop(operation_id, None)
        message = {"id": operation_id, "type": "complete"}
        self._outlet.send_text(orjson.dumps(message).decode())

    async def cleanup_operation(self, operation_id: str) -> None:
        leave = self._parked.pop(operation_id, None)
        if leave is None:
            await super().cleanup_operation(operation_id)
            return
        leave()
        self.operations.pop(operation_id, None)

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
        await super().shutdown()


def malformed(message: object) -> str | None:
    """Why a graphql-transport-ws message is not one the protocol allows, or None."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "Failed to parse message"
    if message["type"] != "subscribe":
        return None
    operation_id, payload = message.get("id"), message.get("payload")
    if not isinstance(operation_id, str) or not operation_id or len(operation_id) > MAX_ID_LENGTH:
        return "Invalid operation id"
    if not isinstance(payload, dict):
        return "Invalid subscribe payload"
    kinds: tuple[tuple[str, type | tuple[type, ...]], ...] = (
        ("query", str),
        ("operationName", str),
        ("variables", dict),
        ("extensions", (dict, str)),
    )
    for key, kind in kinds:
        if payload.get(key) is not None and not isinstance(payload[key], kind):
            return f"Invalid subscribe payload: {key}"
    return None


def live_socket_handler(ping_interval: float, backlog_limit: int) -> type[LiveSocketHandler]:
    settings = {"ping_interval": ping_interval, "backlog_limit": backlog_limit}
    return type("LiveSocketHandler", (LiveSocketHandler,), settings)
