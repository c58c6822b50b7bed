"""The graphql-transport-ws connection: keep-alive pings, and subscriptions handed to the hub.

Proxies and load balancers drop WebSockets that stay silent; the protocol's own `ping`
message keeps them open (clients answer with `pong`).

A subscription that has replayed what its client missed is handed over to the hub
(graph/live/hub.py), and its operation task ends: the operation stays registered here, so
that `complete`, a reused id and the per-socket limit work as for any operation, but the
hub sends its events, framed as `next` messages, through this socket's outlet.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from graph.live.render import frame_head
from graph.live.sockets.open_sockets import SIGN_IN_ENDED
from graph.live.sockets.outlet import BACKLOG_LIMIT, SocketOutlet
from graph.live.subscriber import Handover, Request, Subscriber, handing_over

PING = '{"type":"ping"}'
# Operation ids are the client's own (graphql-ws uses UUIDs); anything longer is not one.
MAX_ID_LENGTH = 128


class LiveSocketHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """Strawberry's graphql-transport-ws handler, with pings and subscriptions in the hub."""

    ping_interval: float = 15.0
    backlog_limit: int = BACKLOG_LIMIT

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        assert isinstance(self.websocket, ASGIWebSocketAdapter)
        self._outlet = SocketOutlet(self.websocket.ws, self.backlog_limit)
        self._live: dict[str, Subscriber] = {}
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
        head = frame_head("next", operation.id)
        handover = Handover(self, operation.id, head, request, self._went_live)
        handing_over.set(handover)
        try:
            await super().run_operation(operation)
        except Exception:
            if handover.handed is not None:
                self.end(handover.handed)  # its stream failed after going live: not half-live
            raise

    def _went_live(self, subscriber: Subscriber) -> None:
        """The hub delivers from now on; the operation's stream ends without `complete`."""
        self._live[subscriber.operation_id] = subscriber
        operation = self.operations.get(subscriber.operation_id)
        if operation is not None:
            operation.completed = True  # Strawberry sends nothing more for it
            operation.task = None  # its task ends now; none is kept for it

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

    # The hub's side (subscriber.Outlet).
    def send_text(self, text: str) -> None:
        self._outlet.send_text(text)

    async def drained(self) -> None:
        await self._outlet.drained()

    def end(self, subscriber: Subscriber) -> None:
        if self._live.get(subscriber.operation_id) is not subscriber:
            return  # already completed by the client (its id may be in use again)
        del self._live[subscriber.operation_id]
        subscriber.leave()
        self.operations.pop(subscriber.operation_id, None)
        message = {"id": subscriber.operation_id, "type": "complete"}
        self._outlet.send_text(orjson.dumps(message).decode())

    async def cleanup_operation(self, operation_id: str) -> None:
        subscriber = self._live.pop(operation_id, None)
        if subscriber is None:
            await super().cleanup_operation(operation_id)
            return
        subscriber.leave()
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
