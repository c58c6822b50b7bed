"""A local HTTP server standing in for the SMS provider, speaking its request format.

It checks the basic-auth credentials of its URL, records every accepted SMS, answers
503 while `outages` is above zero (counting down), and 400 for numbers it cannot reach.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

USER = "u1234"
PASSWORD = "sms-secret"
UNREACHABLE = "+46701740000"  # an E.164 number the gateway refuses for good


@dataclass
class ReceivedSms:
    sender: str
    to: str
    message: str


class SmsGateway:
    def __init__(self) -> None:
        self.received: list[ReceivedSms] = []
        self.outages = 0
        self.url = ""
        self._arrived = asyncio.Condition()

    async def _send(self, request: Request) -> JSONResponse:
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if self.outages > 0:
            self.outages -= 1
            return JSONResponse({"error": "try later"}, status_code=503)
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        sms = ReceivedSms(form["from"], form["to"], form["message"])
        if sms.to == UNREACHABLE:
            return JSONResponse({"error": "Invalid to number"}, status_code=400)
        async with self._arrived:
            self.received.append(sms)
            self._arrived.notify_all()
        return JSONResponse({"status": "created", "id": f"s{len(self.received)}", "to": sms.to})

    def to(self, number: str) -> list[ReceivedSms]:
        return [s for s in self.received if s.to == number]

    async def wait_for(self, number: str, count: int = 1, timeout: float = 10) -> list[ReceivedSms]:
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.to(number)) >= count)
        return self.to(number)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SmsGateway]:
        app = Starlette(routes=[Route("/a1/sms", self._send, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/a1/sms"
        try:
            yield self
        finally:
            server.should_exit = True
            await task
