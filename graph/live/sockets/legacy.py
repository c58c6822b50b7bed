"""The legacy graphql-ws connection: one sign-in per socket, a deadline for it, and every
operation checked against the token as it is now.

Strawberry's handler for this protocol accepts a second `connection_init` (switching the
socket's identity), never times out a socket that does not sign in, and trusts the shape
of `start` messages; this one closes each of those doors the way graphql-transport-ws does.

Subscriptions are delivered as on graphql-transport-ws: once one has replayed what its
client missed, it is handed over to the hub (graph/live/hub.py) and its task ends; the hub
sends its events, framed as `data` messages, through this socket's outlet.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import aclosing
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    OperationMessage,
    StartMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from graph.live.render import frame_head
from graph.live.sockets.open_sockets import SIGN_IN_ENDED
from graph.live.sockets.outlet import BACKLOG_LIMIT, SocketOutlet
from graph.live.sockets.transport import malformed
from graph.live.subscriber import Handover, Request, Subscriber, handing_over

INVALID_MESSAGE = 4400
INIT_TIMEOUT = 4408
TOO_MANY_INITIALISATIONS = 4429
INCREMENTAL = GraphQLError("Incremental delivery is not supported over graphql-ws").formatted


class LegacySocketHandler(BaseGraphQLWSHandler[Any, None]):
    init_timeout: float = 10.0
    backlog_limit: int = BACKLOG_LIMIT

    async def handle(self) -> None:
        self._init_received = False
        self._closing: asyncio.Task[None] | None = None
        # Made when a first subscription sends through it (`_socket_outlet`).
        self._outlet: SocketOutlet | None = None
        self._live: dict[str, Subscriber] = {}
        deadline = asyncio.get_running_loop().call_later(self.init_timeout, self._init_too_late)
        try:
            await super().handle()
        finally:
            deadline.cancel()

    def _init_too_late(self) -> None:
        if not self._init_received:
            self._close_soon(INIT_TIMEOUT, "Connection initialisation timeout")

    def _close_soon(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason)

    async def handle_message(self, message: OperationMessage) -> None:
        # The same shape rules as graphql-transport-ws, with `start` in place of `subscribe`.
        shape = (
            {**message, "type": "subscribe"}
            if isinstance(message, dict) and message.get("type") == "start"
            else message
        )
        problem = malformed(shape)
        if problem is not None:
            await self._close(INVALID_MESSAGE, problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self._init_received:
            await self._close(TOO_MANY_INITIALISATIONS, "Too many initialisation requests")
            return
        self._init_received = True
        await super().handle_connection_init(message)

    async def handle_start(self, message: StartMessage) -> None:
        # The message's shape was checked in `handle_message`.
        view: Any = self.view  # graph/app.py's GraphQLView
        if self.connection_acknowledged and not await view.still_signed_in(self.context):
            await self._close(SIGN_IN_ENDED, "Forbidden")
            return
        operation_id = message["id"]
        if operation_id in self._live:
            # A start with the id of a running operation replaces it (as Strawberry does).
            await self.cleanup_operation(operation_id)
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.tasks) + len(self._live) >= limit:
            refusal = GraphQLError("Subscription limit reached").formatted
            await self.send_message(ErrorMessage(type="error", id=operation_id, payload=refusal))
            return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        """Runs any operation, as graphql-transport-ws does: a query or mutation sends one
        `data` and completes (Strawberry's own handler runs only subscriptions here); a
        subscription that goes live ends here too, and the hub delivers from then on."""
        request = Request(self.schema, query, variables, operation_name)
        head = frame_head("data", operation_id)
        handover = Handover(self, operation_id, head, request, self._went_live)
        handing_over.set(handover)
        try:
            results = await self.schema.stream(
                query,
                variable_values=variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation_name,
            )
            async with aclosing(results):
                first = True
                async for result in results:
                    if first and isinstance(result, PreExecutionError):
                        assert result.errors
                        error = result.errors[0].formatted
                        await self.send_message(
                            {"type": "error", "id": operation_id, "payload": error}
                        )
                        return
                    if not isinstance(result, ExecutionResult):
                        refusal = ErrorMessage(type="error", id=operation_id, payload=INCREMENTAL)
                        await self.send_message(refusal)
                        return
                    await self.send_data_message(result, operation_id)
                    first = False
            if handover.handed is None:
                await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self.send_message({"type": "complete", "id": operation_id})
        except WebSocketDisconnected:
            # The client left while its answer was on the way: nobody to tell, and the
            # socket's cleanup ends whatever went live.
            pass
        except Exception:
            if handover.handed is not None:
                self.end(handover.handed)  # its stream failed after going live: not half-live
            raise
        finally:
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)

    def open_operations(self) -> int:
        """Running operations and subscriptions live in the hub (for the metrics)."""
        return len(self.tasks) + len(self._live)

    def _went_live(self, subscriber: Subscriber) -> None:
        self._live[subscriber.operation_id] = subscriber

    def _socket_outlet(self) -> SocketOutlet:
        # Made by the first message a subscription sends through it: its replay, or its
        # first live event.
        if self._outlet is None:
            assert isinstance(self.websocket, ASGIWebSocketAdapter)
            self._outlet = SocketOutlet(self.websocket.ws, self.backlog_limit)
        return self._outlet

    # The hub's side (subscriber.Outlet), and a replaying subscription's.
    def send_text(self, text: str) -> None:
        self._socket_outlet().send_text(text)

    async def drained(self) -> None:
        if self._outlet is not None:
            await self._outlet.drained()

    def end(self, subscriber: Subscriber) -> None:
        if self._live.get(subscriber.operation_id) is subscriber:
            self._stop_live(subscriber.operation_id)

    def _stop_live(self, operation_id: str) -> None:
        self._live.pop(operation_id).leave()
        self.send_text(orjson.dumps({"type": "complete", "id": operation_id}).decode())

    async def cleanup_operation(self, operation_id: str) -> None:
        if operation_id in self._live:
            self._stop_live(operation_id)  # `stop`: completed, as a running one is
        else:
            await super().cleanup_operation(operation_id)

    async def cleanup(self) -> None:
        # The socket is gone: nobody to tell.
        for subscriber in self._live.values():
            subscriber.leave()
        self._live.clear()
        await super().cleanup()

    async def handle_keep_alive(self) -> None:
        # Ends quietly when the socket is gone, instead of dying with an unread exception.
        with contextlib.suppress(Exception):
            await super().handle_keep_alive()
