"""Two server processes on one PostgreSQL and Redis: events cross instances, and survive Redis restarting."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import connect

from db.engine import Database
from domain.tenants import create_tenant
from tests.conftest import REQUIRE_SERVICES, PostgresDatabase, services_problem
from tests.support.client import PASSWORD, Api, GraphQLSocket, Tenant, unique
from tests.support.processes import RedisProcess, server_process

COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body } }"""
ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id } userErrors { code } } }"""


@pytest.fixture
async def shared_services() -> AsyncIterator[tuple[str, RedisProcess]]:
    problem = await services_problem()
    if problem is None and shutil.which("redis-server") is None:
        problem = "redis-server is not installed"
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"SCALE-OUT TEST SKIPPED: {problem}")
    database = PostgresDatabase()
    await database.create()
    redis = RedisProcess()
    await redis.start()
    try:
        yield database.url, redis
    finally:
        await redis.stop()
        await database.drop()


async def ws(base_url: str, token: str) -> GraphQLSocket:
    url = base_url.replace("http", "ws", 1) + "/graphql"
    socket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    client = GraphQLSocket(socket)
    await client.init({"authorization": f"Bearer {token}"})
    return client


async def comment(http: httpx.AsyncClient, token: str, case_id: str, body: str) -> str:
    response = await http.post(
        "/graphql",
        json={"query": ADD_COMMENT, "variables": {"caseId": case_id, "body": body}},
        headers={"Authorization": f"Bearer {token}"},
    )
    comment_id: str = response.json()["data"]["addComment"]["comment"]["id"]
    return comment_id


async def bodies(socket: GraphQLSocket, count: int, timeout: float = 10.0) -> list[str]:
    got = []
    for _ in range(count):
        message = await socket.receive(timeout=timeout)
        assert message["type"] == "next", message
        got.append(message["payload"]["data"]["commentAdded"]["body"])
    return got


async def test_comment_crosses_instances_and_survives_a_redis_restart(
    shared_services: tuple[str, RedisProcess],
) -> None:
    database_url, redis = shared_services
    env = {
        "WORKCLOUD_DATABASE_URL": database_url,
        "WORKCLOUD_BROADCAST_URL": redis.url,
        "WORKCLOUD_DEADLINE_REMINDER_INTERVAL": "0",
    }
    db = Database(database_url)
    await db.migrate()
    email = f"{unique('admin')}@example.se"
    async with db.transaction(None) as session:
        tenant_row, _admin = await create_tenant(
            session, name="Kvarnen", admin_email=email, admin_password=PASSWORD
        )

    async with (
        server_process(env) as a_url,
        server_process(env) as b_url,
        httpx.AsyncClient(base_url=a_url, timeout=30) as a,
    ):
        api_a = Api(base_url=a_url, http=a, db=db, backend="postgres", services=None)  # type: ignore[arg-type]
        token = await api_a.login(email)
        case_id = await Tenant(api_a, tenant_row.id, email, token).create_case()

        # From a comment already there: whatever comes after it arrives, however long B
        # takes to start listening (a busy machine), by replay or live.
        opening = await comment(a, token, case_id, "öppning")
        listener = await ws(b_url, token)
        await listener.subscribe(COMMENT_ADDED, {"caseId": case_id, "after": opening})
        first = await comment(a, token, case_id, "via A")
        assert await bodies(listener, 1) == ["via A"]

        # Redis goes away; comments keep being committed on A meanwhile.
        await redis.stop()
        for body in ["medan Redis var nere 1", "medan Redis var nere 2"]:
            await comment(a, token, case_id, body)
        await redis.start()

        # The connected subscriber on B catches up once B's bus is back.
        assert await bodies(listener, 2, timeout=20) == [
            "medan Redis var nere 1",
            "medan Redis var nere 2",
        ]
        await listener.socket.close()

        # A client that reconnects and resumes after what it saw misses nothing either.
        resumed = await ws(b_url, token)
        await resumed.subscribe(COMMENT_ADDED, {"caseId": case_id, "after": first})
        # Replayed, so live: the next comment is pushed.
        assert await bodies(resumed, 2) == ["medan Redis var nere 1", "medan Redis var nere 2"]
        await comment(a, token, case_id, "efter omstarten")
        assert await bodies(resumed, 1) == ["efter omstarten"]
        await resumed.socket.close()
    await db.dispose()
