"""The graphql-transport-ws connection, with the keep-alive pings Strawberry does not send.

Proxies and load balancers drop WebSockets that stay silent; the protocol's own
`ping` message keeps them open (clients answer with `pong`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)


class KeepAliveTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    ping_interval: float = 15.0

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        self._pinger: asyncio.Task[None] | None = None
        if self.ping_interval > 0:
            self._pinger = asyncio.create_task(self._ping_forever())

    async def _ping_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            if self.connection_acknowledged:
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pinger
        await super().shutdown()


def handler_with_interval(interval: float) -> type[KeepAliveTransportWSHandler]:
    return type("KeepAliveHandler", (KeepAliveTransportWSHandler,), {"ping_interval": interval})
