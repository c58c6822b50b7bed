"""Many WebSocket subscribers in one process, apart from the server they listen to.

Started by `bench/fanout.py`. Reads one JSON line of orders on stdin, opens the sockets
(graphql-transport-ws), subscribes each, prints `{"ready": n}`, then for every `go` line
prints the monotonic time at which each subscriber received its next event. Linux's
CLOCK_MONOTONIC is one clock for every process on the machine, so the times compare with
the sender's.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


async def _open(url: str, token: str, query: str, variables: dict[str, Any]) -> ClientConnection:
    socket = await connect(
        url,
        subprotocols=["graphql-transport-ws"],
        max_size=None,
        open_timeout=600,  # type: ignore[list-item]
    )
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await socket.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    payload = {"query": query, "variables": variables}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return socket


async def _next_event(socket: ClientConnection) -> float:
    while True:
        message = json.loads(await socket.recv())
        if message.get("type") == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            continue
        if message.get("type") == "next":
            if message["payload"].get("errors"):
                raise RuntimeError(json.dumps(message["payload"]["errors"]))
            return time.monotonic()
        if message.get("type") in ("error", "complete"):
            raise RuntimeError(f"subscription ended: {message}")


async def _stdin_lines() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
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
    sockets: list[ClientConnection] = []
    opening = asyncio.Semaphore(50)

    async def open_one(i: int) -> None:
        async with opening:
            sockets.append(
                await _open(url, tokens[i % len(tokens)], orders["query"], orders["variables"])
            )

    await asyncio.gather(*(open_one(i) for i in range(count)))
    _say({"ready": len(sockets)})
    while line := await reader.readline():
        if line.strip() != b"go":
            break
        waiting = [asyncio.create_task(_next_event(s)) for s in sockets]
        await asyncio.sleep(0)  # every task now waits on its socket
        _say({"armed": True})
        done, pending = await asyncio.wait(waiting, timeout=orders.get("timeout", 60))
        for task in pending:
            task.cancel()
        times = sorted(t.result() for t in done if t.exception() is None)
        failed = [str(t.exception()) for t in done if t.exception() is not None]
        _say(
            {"times": times, "missing": len(pending), "failed": len(failed), "failures": failed[:3]}
        )
    for socket in sockets:
        await socket.close()


if __name__ == "__main__":
    asyncio.run(main())
