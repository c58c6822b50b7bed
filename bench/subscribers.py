"""Many WebSocket subscribers in one process, apart from the server they listen to.

Started by `bench/fanout.py` and `bench/storm.py`. Reads one JSON line of orders on stdin,
opens the sockets (graphql-transport-ws), subscribes each, prints `{"ready": n}`, then for
every `go` line prints the monotonic time at which each subscriber received its next event.
Linux's CLOCK_MONOTONIC is one clock for every process on the machine, so the times compare
with the sender's.

With `replayed` in the orders (a reconnect storm), every socket is opened at once (at most
`opening` connects in flight) and a subscriber is live once it has received that many
replayed events; `{"ready": n, "started": t, "live": [t, ...]}` says when each became live.
A `check [ids]` line then asks whether every live subscriber received exactly those event
ids, in that order.

Each socket is the `websockets` library's sans-I/O client protocol under a plain asyncio
protocol: frames are parsed as they arrive, with no task or queue per socket, so that the
time a subscriber is stamped with is when its bytes arrived, not when this process got
round to it (with 10,000 sockets, a task per socket would measure the client).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter
from typing import Any

import orjson
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri


class Subscriber(asyncio.Protocol):
    def __init__(
        self, url: str, token: str, subscribe: dict[str, Any], replayed: int | None = None
    ) -> None:
        self._ws = ClientProtocol(
            parse_uri(url), subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None
        )
        self._token = token
        self._subscribe = subscribe
        self._replayed = replayed
        self._transport: asyncio.Transport | None = None
        # Resolves with the time it was subscribed (or live, after `replayed` events).
        self.ready: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting: asyncio.Future[float] | None = None
        self.ids: list[Any] = []  # of every event received, in order

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._ws.send_request(self._ws.connect())
        self._flush()

    def _flush(self) -> None:
        assert self._transport is not None
        for data in self._ws.data_to_send():
            if data:
                self._transport.write(data)

    def _send(self, message: dict[str, Any]) -> None:
        self._ws.send_text(orjson.dumps(message))
        self._flush()

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self._fail(f"handshake refused: {event.status_code}")
                    continue
                payload = {"authorization": f"Bearer {self._token}"}
                self._send({"type": "connection_init", "payload": payload})
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._message(orjson.loads(event.data), arrived)
        self._flush()  # pongs to the protocol's own pings, close frames

    def _message(self, message: dict[str, Any], arrived: float) -> None:
        kind = message.get("type")
        if kind == "ping":
            self._send({"type": "pong"})
        elif kind == "connection_ack":
            self._send({"id": "1", "type": "subscribe", "payload": self._subscribe})
            if self._replayed is None:
                # The server answers nothing until an event: give it a moment, then count it.
                asyncio.get_running_loop().call_later(0.05, self._subscribed)
        elif kind == "next":
            errors = message["payload"].get("errors")
            if errors:
                self._fail(json.dumps(errors))
                return
            event = next(iter(message["payload"]["data"].values()))
            self.ids.append(event.get("id") if isinstance(event, dict) else None)
            if self.waiting is not None and not self.waiting.done():
                self.waiting.set_result(arrived)
            elif len(self.ids) == self._replayed and not self.ready.done():
                self.ready.set_result(arrived)
        elif kind in ("error", "complete"):
            self._fail(f"subscription ended: {message}")

    def _subscribed(self) -> None:
        if not self.ready.done():
            self.ready.set_result(time.monotonic())

    @property
    def live(self) -> bool:
        return self.ready.done() and not self.ready.cancelled() and not self.ready.exception()

    def _fail(self, reason: str) -> None:
        error = RuntimeError(reason)
        for future in (self.ready, self.waiting):
            if future is not None and not future.done():
                future.set_exception(error)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ws.close_code is not None:
            self._fail(f"closed: {self._ws.close_code} {self._ws.close_reason}".strip())
        else:
            self._fail(f"connection lost: {exc!r}")

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _stdin_lines() -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2**24)  # orders may carry variables per subscriber
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    reader = await _stdin_lines()
    orders = json.loads(await reader.readline())
    url, tokens, count = orders["url"], orders["tokens"], orders["count"]
    uri = parse_uri(url)
    # `each`: one set of variables per subscriber (different table-view filters), if given.
    each = orders.get("each") or [orders["variables"]]
    loop = asyncio.get_running_loop()
    subscribers: list[Subscriber] = []
    replayed: int | None = orders.get("replayed")

    def connect(i: int) -> Any:
        subscribe = {"query": orders["query"], "variables": each[i % len(each)]}
        return loop.create_connection(
            lambda: Subscriber(url, tokens[i % len(tokens)], subscribe, replayed),
            uri.host,
            uri.port,
        )

    if replayed is None:
        opening = asyncio.Semaphore(50)

        async def open_one(i: int) -> None:
            async with opening:
                _transport, subscriber = await connect(i)
                subscribers.append(subscriber)
                await asyncio.wait_for(subscriber.ready, 600)

        await asyncio.gather(*(open_one(i) for i in range(count)))
        _say({"ready": len(subscribers)})
    else:
        # A storm: every client at once, each live when its replay has arrived.
        connecting = asyncio.Semaphore(orders.get("opening", 1000))

        async def reconnect(i: int) -> float:
            async with connecting:
                _transport, subscriber = await connect(i)
            subscribers.append(subscriber)
            return await asyncio.wait_for(subscriber.ready, orders.get("timeout", 600))

        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(reconnect(i) for i in range(count)), return_exceptions=True
        )
        failures = Counter(str(o) or repr(o) for o in outcomes if isinstance(o, BaseException))
        live = sorted(o for o in outcomes if isinstance(o, float))
        _say(
            {"ready": len(live), "started": started, "live": live,
             "failed": sum(failures.values()), "failures": dict(failures.most_common(5))}
        )  # fmt: skip
        subscribers = [s for s in subscribers if s.live]
    while line := await reader.readline():
        if line.startswith(b"check "):
            expected = json.loads(line[len(b"check ") :])
            wrong = [s.ids for s in subscribers if s.ids != expected]
            _say(
                {"exact": len(subscribers) - len(wrong), "wrong": len(wrong), "examples": wrong[:3]}
            )
            continue
        if line.strip() != b"go":
            break
        for subscriber in subscribers:
            subscriber.waiting = loop.create_future()
        _say({"armed": True})
        waiting = [s.waiting for s in subscribers if s.waiting is not None]
        done, pending = await asyncio.wait(waiting, timeout=orders.get("timeout", 60))
        times = sorted(f.result() for f in done if f.exception() is None)
        failed = [str(f.exception()) for f in done if f.exception() is not None]
        _say(
            {"times": times, "missing": len(pending), "failed": len(failed), "failures": failed[:3]}
        )
    for subscriber in subscribers:
        subscriber.close()


if __name__ == "__main__":
    asyncio.run(main())
