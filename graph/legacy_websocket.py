"""The legacy graphql-ws connection: one sign-in per socket, a deadline for it, and every
operation checked against the token as it is now.

Strawberry's handler for this protocol accepts a second `connection_init` (switching the
socket's identity), never times out a socket that does not sign in, and trusts the shape
of `start` messages; this one closes each of those doors the way graphql-transport-ws does.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import aclosing
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    OperationMessage,
    StartMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from graph.open_sockets import SIGN_IN_ENDED
from graph.websocket import malformed

INVALID_MESSAGE = 4400
INIT_TIMEOUT = 4408
TOO_MANY_INITIALISATIONS = 4429
INCREMENTAL = GraphQLError("Incremental delivery is not supported over graphql-ws").formatted


class LegacySocketHandler(BaseGraphQLWSHandler[Any, None]):
    init_timeout: float = 10.0

    async def handle(self) -> None:
        self._init_received = False
        self._closing: asyncio.Task[None] | None = None
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
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        """Runs any operation, as graphql-transport-ws does: a query or mutation sends one
        `data` and completes (Strawberry's own handler runs only subscriptions here)."""
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
            await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self.send_message({"type": "complete", "id": operation_id})
        finally:
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)

    async def handle_keep_alive(self) -> None:
        # Ends quietly when the socket is gone, instead of dying with an unread exception.
        with contextlib.suppress(Exception):
            await super().handle_keep_alive()
