"""A local HTTP server standing in for webhook endpoints: one per path, each with a script.

Every POST is recorded with its headers and body. An endpoint answers each request with
the next entry of its script (a status; 302 redirects to `redirect_to`; SLOW answers 200
only after `slow_seconds`), and 200 once the script is used up.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SLOW = -1


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Endpoint:
    url: str
    script: list[int] = field(default_factory=list)
    redirect_to: str = ""
    received: list[Received] = field(default_factory=list)


class WebhookReceiver:
    def __init__(self, slow_seconds: float) -> None:
        self.slow_seconds = slow_seconds
        self.base_url = ""
        self._endpoints: dict[str, Endpoint] = {}
        self._arrived = asyncio.Condition()

    def endpoint(self, *script: int, redirect_to: str = "") -> Endpoint:
        path = f"/hooks/{uuid.uuid4().hex[:12]}"
        found = self._endpoints[path] = Endpoint(
            f"{self.base_url}{path}", list(script), redirect_to
        )
        return found

    async def _receive(self, request: Request) -> Response:
        endpoint = self._endpoints.get(request.url.path)
        if endpoint is None:
            return Response(status_code=404)
        async with self._arrived:
            endpoint.received.append(Received(dict(request.headers), await request.body()))
            self._arrived.notify_all()
        answer = endpoint.script.pop(0) if endpoint.script else 200
        if answer == SLOW:
            await asyncio.sleep(self.slow_seconds)
            return Response(status_code=200)
        if answer in (301, 302, 307, 308):
            return Response(status_code=answer, headers={"Location": endpoint.redirect_to})
        return Response(b'{"ok": true}', status_code=answer, media_type="application/json")

    async def wait_for(self, endpoint: Endpoint, count: int = 1, timeout: float = 15) -> None:
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(endpoint.received) >= count)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookReceiver]:
        app = Starlette(routes=[Route("/hooks/{name}", self._receive, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            await task
