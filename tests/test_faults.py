"""Faults with real processes: the database or Redis going away, SIGTERM, and kill -9."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from config.settings import Settings
from db.engine import Database
from domain.tenants import create_tenant
from tests.conftest import REQUIRE_SERVICES, PostgresDatabase, serve, services_problem
from tests.support.client import PASSWORD, unique
from tests.support.proxy import TcpProxy
from tests.support.server_process import ServerProcess

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""
VIEWER = "{ viewer { kind } }"


@pytest.fixture
async def postgres() -> AsyncIterator[PostgresDatabase]:
    """A PostgreSQL database of this test's own."""
    problem = await services_problem()
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"POSTGRESQL + REDIS HALF SKIPPED: {problem}")
    database = PostgresDatabase()
    await database.create()
    try:
        yield database
    finally:
        await database.drop()


async def new_admin(url: str) -> str:
    db = Database(url)
    email = f"{unique('admin')}@example.se"
    try:
        await db.migrate()
        async with db.transaction(None) as session:
            await create_tenant(
                session, name="Driftstörning AB", admin_email=email, admin_password=PASSWORD
            )
    finally:
        await db.dispose()
    return email


async def wait_for_health(
    http: httpx.AsyncClient, status: int, timeout: float = 20
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        response = await http.get("/health")
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, response.text
            body: dict[str, object] = response.json()
            return body
        await asyncio.sleep(0.2)


def through(url: str, proxy: TcpProxy) -> str:
    parsed = urlparse(url)
    return parsed._replace(
        netloc=parsed.netloc.replace(f"{parsed.hostname}:{parsed.port}", f"127.0.0.1:{proxy.port}")
    ).geturl()


async def close_code(socket: ClientConnection) -> int | None:
    """Reads until the server closes the socket; its close code."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), 15)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


async def test_a_database_outage_is_reported_and_survived(postgres: PostgresDatabase) -> None:
    parsed = urlparse(postgres.url)
    proxy = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    url = through(postgres.url, proxy)
    email = await new_admin(url)
    settings = Settings(database_url=url, broadcast_url="memory://", database_timeout_seconds=3)
    async for base_url, _app in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
            token = (
                await http.post(
                    "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
                )
            ).json()["data"]["login"]["token"]
            auth = {"Authorization": f"Bearer {token}"}
            assert (
                await http.post("/graphql", json={"query": VIEWER}, headers=auth)
            ).status_code == 200

            await proxy.cut()
            health = await wait_for_health(http, 503)
            assert health["status"] == "unavailable"
            assert str(health["problems"]["database"]).startswith("unreachable")  # type: ignore[index]
            # A signed-in request: the token cannot be checked, so 503 with a GraphQL error.
            outage = await http.post("/graphql", json={"query": VIEWER}, headers=auth)
            assert outage.status_code == 503
            assert outage.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            # An anonymous sign-in reaches its resolver and fails there, cleanly.
            login = await http.post(
                "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
            )
            assert login.status_code == 200
            error = login.json()["errors"][0]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "127.0.0.1" not in json.dumps(login.json())
            # A socket's sign-in cannot be read: "try again later", not "bad token".
            for protocol in ("graphql-transport-ws", "graphql-ws"):
                socket_url = base_url.replace("http", "ws", 1) + "/graphql"
                async with connect(socket_url, subprotocols=[protocol]) as socket:  # type: ignore[list-item]
                    init = {
                        "type": "connection_init",
                        "payload": {"authorization": auth["Authorization"]},
                    }
                    await socket.send(json.dumps(init))
                    assert await close_code(socket) == 1013, protocol

            await proxy.restore()
            assert await wait_for_health(http, 200) == {"status": "ok"}
            again = await http.post("/graphql", json={"query": VIEWER}, headers=auth)
            assert again.json() == {"data": {"viewer": {"kind": "STAFF"}}}
    await proxy.cut()


async def test_the_server_starts_while_the_database_is_down(postgres: PostgresDatabase) -> None:
    parsed = urlparse(postgres.url)
    proxy = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    url = through(postgres.url, proxy)
    await proxy.cut()
    settings = Settings(database_url=url, broadcast_url="memory://", database_timeout_seconds=3)
    async for base_url, _app in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
            health = await wait_for_health(http, 503)
            assert str(health["problems"]["database"]).startswith("unreachable")  # type: ignore[index]
            await proxy.restore()
            assert await wait_for_health(http, 200) == {"status": "ok"}
            email = await new_admin(url)
            login = await http.post(
                "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
            )
            assert login.json()["data"]["login"]["token"]
    await proxy.cut()


async def test_a_redis_outage_is_reported_and_survived(
    postgres: PostgresDatabase, tmp_path: Path
) -> None:
    redis = urlparse("redis://127.0.0.1:6379/0")
    proxy = TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379)
    await proxy.start()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'redis-outage.db'}",
        broadcast_url=f"redis://127.0.0.1:{proxy.port}/0",
        broadcast_channel_prefix=f"{unique('outage')}.",
    )
    async for base_url, _app in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
            assert await wait_for_health(http, 200) == {"status": "ok"}
            await proxy.cut()
            health = await wait_for_health(http, 503)
            assert health["problems"] == {"broadcast": "unreachable: not connected"}
            await proxy.restore()
            assert await wait_for_health(http, 200) == {"status": "ok"}
    await proxy.cut()


def backend_env(backend: str, tmp_path: Path, postgres: PostgresDatabase) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'durable.db'}" if backend == "sqlite" else postgres.url
    return {"WORKCLOUD_DATABASE_URL": url, "WORKCLOUD_BROADCAST_URL": "memory://"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_no_committed_write_is_lost_to_kill_9(
    backend: str, tmp_path: Path, postgres: PostgresDatabase
) -> None:
    env = backend_env(backend, tmp_path, postgres)
    email = await new_admin(env["WORKCLOUD_DATABASE_URL"])
    server = ServerProcess(env)
    names = [f"Kund {i} åäö" for i in range(25)]
    try:
        await server.start()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
            token = (
                await http.post(
                    "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
                )
            ).json()["data"]["login"]["token"]
            for name in names:
                created = await http.post(
                    "/graphql",
                    json={
                        "query": "mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } } }",
                        "variables": {"n": name},
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert created.json()["data"]["createCustomer"]["customer"]["id"]
            server.signal(signal.SIGKILL)
            assert await server.wait() == -signal.SIGKILL
            await server.start()
            listed = await http.post(
                "/graphql",
                json={"query": "{ customers(first: 100) { totalCount edges { node { name } } } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            customers = listed.json()["data"]["customers"]
            assert customers["totalCount"] == len(names)
            assert sorted(e["node"]["name"] for e in customers["edges"]) == sorted(names)
    finally:
        await server.stop()
        server.remove_log()


async def read_until_closed(socket: ClientConnection) -> None:
    while True:
        await asyncio.wait_for(socket.recv(), 10)


async def test_sigterm_finishes_requests_in_flight_and_closes_websockets(
    tmp_path: Path, postgres: PostgresDatabase
) -> None:
    env = backend_env("sqlite", tmp_path, postgres)
    email = await new_admin(env["WORKCLOUD_DATABASE_URL"])
    server = ServerProcess(env)
    try:
        await server.start()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
            token = (
                await http.post(
                    "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
                )
            ).json()["data"]["login"]["token"]
            ws_url = server.base_url.replace("http", "ws", 1) + "/graphql"
            async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
                await socket.send(
                    json.dumps(
                        {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                    )
                )
                assert json.loads(await socket.recv())["type"] == "connection_ack"
                body = json.dumps({"query": VIEWER}).encode()
                signalled = asyncio.Event()

                async def slowly() -> AsyncIterator[bytes]:
                    yield body[:5]
                    server.signal(signal.SIGTERM)
                    signalled.set()
                    await asyncio.sleep(1.0)
                    yield body[5:]

                response = await http.post(
                    "/graphql",
                    content=slowly(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                assert signalled.is_set()
                assert response.json() == {"data": {"viewer": {"kind": "STAFF"}}}
                with pytest.raises(ConnectionClosed) as closed:
                    await read_until_closed(socket)
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code in (1001, 1012)
        # uvicorn re-raises the signal once shut down, so the exit status says SIGTERM.
        assert await server.wait() in (0, -signal.SIGTERM)
        assert "Finished server process" in server.output()
    finally:
        await server.stop()
        server.remove_log()
