"""Log lines of a real `workcloud serve`: JSON objects, each request's id on its lines."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from db.engine import Database
from domain.tenants import create_tenant
from tests.support.client import PASSWORD, eventually, unique
from tests.support.server_process import ServerProcess

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
REQUEST_RESET = """mutation($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { userErrors { code } } }"""


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line the server wrote, each of which must be one JSON log entry."""
    entries = []
    for line in output.splitlines():
        entry = json.loads(line)
        assert {"timestamp", "level", "logger", "message"} <= entry.keys(), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["timestamp"])
        entries.append(entry)
    return entries


@pytest.fixture
async def server(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ServerProcess]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    process = ServerProcess(
        {
            "WORKCLOUD_DATABASE_URL": database_url,
            "WORKCLOUD_BROADCAST_URL": "memory://",
            "WORKCLOUD_LOG_FORMAT": "json",
            "WORKCLOUD_OUTBOX_POLL_SECONDS": "0.2",
        },
        log_level=request.param,
    )
    try:
        await process.start(timeout=90)  # a loaded machine migrates slowly
        yield process
    finally:
        await process.stop()
        process.remove_log()


async def new_admin(server: ServerProcess, tmp_path: Path) -> str:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}")
    email = f"{unique('admin')}@example.se"
    try:
        async with db.transaction(None) as session:
            await create_tenant(session, name="Logg AB", admin_email=email, admin_password=PASSWORD)
    finally:
        await db.dispose()
    return email


@pytest.mark.parametrize("server", ["info"], indirect=True)
async def test_each_request_has_its_id_on_its_json_log_lines(
    server: ServerProcess, tmp_path: Path
) -> None:
    email = await new_admin(server, tmp_path)
    mine = f"client-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
        answer = await http.post(
            "/graphql",
            json={"query": REQUEST_RESET, "variables": {"input": {"email": email}}},
            headers={"X-Request-ID": mine},
        )
        assert answer.json() == {"data": {"requestPasswordReset": {"userErrors": []}}}
        assert answer.headers["X-Request-ID"] == mine
        # An id that could forge a log line or a header is replaced by one of the server's.
        forged = await http.get("/health", headers={"X-Request-ID": "x" * 129})
        replaced = forged.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced)
        unnamed = await http.get("/health")
        assert unnamed.headers["X-Request-ID"] not in (mine, replaced)

        # workcloud.* INFO lines are written at the default level: the unsent reset mail.
        async def logged() -> bool:
            return any(
                e["logger"] == "workcloud.outbox" and email in e["message"]
                for e in json_lines(server.output())
            )

        await eventually(logged, what="the outbox's INFO line")

    entries = json_lines(server.output())
    of_mine = [e for e in entries if e.get("request_id") == mine]
    assert [e["logger"] for e in of_mine] == ["uvicorn.access"]
    assert 'POST /graphql HTTP/1.1" 200' in of_mine[0]["message"]
    assert of_mine[0]["level"] == "INFO"
    of_forged = [e for e in entries if e.get("request_id") == replaced]
    assert len(of_forged) == 1 and "GET /health" in of_forged[0]["message"]
    assert not any("x" * 129 in json.dumps(e) for e in entries)
    # The outbox's line is written by its own task, for no request.
    outbox = next(e for e in entries if e["logger"] == "workcloud.outbox")
    assert outbox["level"] == "INFO" and "request_id" not in outbox
    assert any(e["logger"] == "uvicorn.error" for e in entries)  # uvicorn's own, alike


@pytest.mark.parametrize("server", ["trace"], indirect=True)
async def test_a_websocket_operation_logs_with_its_operation_id(
    server: ServerProcess, tmp_path: Path
) -> None:
    email = await new_admin(server, tmp_path)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
        login = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
        )
    token = login.json()["data"]["login"]["token"]
    socket_id, operation = f"socket-{uuid.uuid4()}", f"op-{uuid.uuid4()}"
    ws_url = server.base_url.replace("http", "ws", 1) + "/graphql"
    async with connect(
        ws_url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"X-Request-ID": socket_id},
    ) as socket:
        assert socket.response is not None
        assert socket.response.headers["X-Request-ID"] == socket_id
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {"id": operation, "type": "subscribe", "payload": {"query": "{ viewer { kind } }"}}
            )
        )
        assert json.loads(await socket.recv()) == {
            "id": operation,
            "type": "next",
            "payload": {"data": {"viewer": {"kind": "STAFF"}}},
        }
        assert json.loads(await socket.recv())["type"] == "complete"

    entries = json_lines(server.output())
    of_socket = [e for e in entries if e.get("request_id") == socket_id]
    # uvicorn's lines of the socket (accepted, each message at TRACE) carry its id ...
    assert any("WebSocket /graphql" in e["message"] for e in of_socket)
    # ... and those written while the operation ran (the result it sent) carry the
    # operation's id as well; the socket's other lines (its connection_ack) do not.
    of_operation = [e for e in of_socket if e.get("operation_id") == operation]
    assert any("websocket.send" in e["message"] for e in of_operation)
    assert not any("operation_id" in e for e in of_socket if "connection_ack" in e["message"])
