"""Two server processes on PostgreSQL through PgBouncer in transaction mode.

There each transaction may get another server connection, so nothing may outlive one:
no prepared statement, no session setting, no session lock. With
WORKCLOUD_DATABASE_POOLER=pgbouncer all of the app's work goes right; without it, it fails.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from db.engine import Database
from domain.tenants import create_tenant
from tests.conftest import (
    PG_ADMIN_DSN,
    REDIS_URL,
    REQUIRE_SERVICES,
    PostgresDatabase,
    services_problem,
)
from tests.support.client import PASSWORD, Api, GraphQLSocket, Tenant, eventually, unique
from tests.support.pgbouncer import PgBouncer, pgbouncer_binary
from tests.support.server_process import ServerProcess

COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body } }"""
CASE_CHANGED = """subscription($after: ID) {
  caseChanged(after: $after) { id kind caseId case { number title } } }"""
REGISTER = """mutation($input: RegisterCaseInput!) { registerCase(input: $input) {
  case { id number title } userErrors { field code } } }"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token userErrors { code } } }"""
NOTIFICATIONS = (
    """{ viewer { notifications(first: 20) { edges { node { kind case { id } } } } } }"""
)
PREPARED_STATEMENT_ERRORS = ("prepared statement", "InvalidSQLStatementName")


@dataclass
class Pooled:
    bouncer: PgBouncer
    database: PostgresDatabase
    directory: Path

    @property
    def url(self) -> str:
        return self.bouncer.url(self.database.name)


@pytest.fixture
async def pooled(tmp_path: Path) -> AsyncIterator[Pooled]:
    problem = await services_problem()
    if problem is None and pgbouncer_binary() is None:
        problem = "pgbouncer is not installed (apt-get install pgbouncer)"
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"PGBOUNCER TEST SKIPPED: {problem}")
    database = PostgresDatabase()
    await database.create()
    bouncer = PgBouncer(tmp_path, PG_ADMIN_DSN)
    try:
        await bouncer.start()
        yield Pooled(bouncer, database, tmp_path)
    finally:
        await bouncer.stop()
        await database.drop()


async def socket_to(base_url: str, token: str, stack: AsyncExitStack) -> GraphQLSocket:
    api = Api(base_url=base_url, http=None, db=None, backend="postgres", services=None)  # type: ignore[arg-type]
    return await stack.enter_async_context(api.ws(token))


async def next_data(socket: GraphQLSocket, field: str) -> dict[str, Any]:
    message = await socket.receive(timeout=15)
    assert message["type"] == "next" and "errors" not in message["payload"], message
    data: dict[str, Any] = message["payload"]["data"][field]
    return data


async def run_the_app(a: Api, b: Api, tenant: Tenant) -> None:
    """Registration, comments live and replayed, the sign-in throttle, 40 writes at once,
    deadline reminders and the case-change feed, across two instances; each result checked."""
    member = await tenant.create_user("Erik Johansson")
    async with AsyncExitStack() as stack:
        # The case-change feed on B, live before the first registration (on A).
        feed = await socket_to(b.base_url, tenant.admin_token, stack)
        await feed.subscribe(CASE_CHANGED, {})
        await asyncio.sleep(0.5)  # the feed goes live after its first (empty) read
        deadline = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
        case = await Tenant(a, tenant.pk, tenant.admin_email, tenant.admin_token).register_case(
            title="Läckage i tvättstugan", deadline=deadline, assignedUserIds=[member["id"]]
        )
        registered = await next_data(feed, "caseChanged")
        assert (registered["kind"], registered["caseId"]) == ("REGISTERED", case["id"])

        # Comments: B replays what came after the one given, then pushes the next live.
        first = await tenant.add_comment(case["id"], "Första")
        await tenant.add_comment(case["id"], "Andra")
        comments = await socket_to(b.base_url, tenant.admin_token, stack)
        await comments.subscribe_live(
            COMMENT_ADDED, {"caseId": case["id"], "after": first}, replayed={"body": "Andra"}
        )
        await tenant.add_comment(case["id"], "Tredje")
        assert (await next_data(comments, "commentAdded"))["body"] == "Tredje"

        # 20 registrations and 20 comments at once, half on each instance.
        def on(index: int) -> Api:
            return a if index % 2 else b

        registrations = [
            on(i).data(REGISTER, {"input": {"title": f"Samtidigt {i}"}}, tenant.admin_token)
            for i in range(20)
        ]
        comment_writes = [
            Tenant(on(i), tenant.pk, tenant.admin_email, tenant.admin_token).add_comment(
                case["id"], f"Samtidig {i}"
            )
            for i in range(20)
        ]
        results = await asyncio.gather(*registrations, *comment_writes)
        cases = [r["registerCase"] for r in results[:20]]
        assert all(c["userErrors"] == [] for c in cases), cases
        numbers = sorted(c["case"]["number"] for c in cases)
        # Numbered without a gap or a repeat, after the first case.
        assert numbers == list(range(case["number"] + 1, case["number"] + 21))
        comment_ids = results[20:]
        pushed = [await next_data(comments, "commentAdded") for _ in range(20)]
        assert sorted(c["body"] for c in pushed) == sorted(f"Samtidig {i}" for i in range(20))
        assert {c["id"] for c in pushed} == set(comment_ids)
        # In commit order, which is id order; nothing more.
        ordered = await a.data(
            "query($id: ID!) { node(id: $id) { ... on Case { comments(first: 30) "
            "{ edges { node { id body } } } } } }",
            {"id": case["id"]},
            tenant.admin_token,
        )
        listed = [e["node"] for e in ordered["node"]["comments"]["edges"]]
        assert [c["body"] for c in listed[:3]] == ["Första", "Andra", "Tredje"]
        assert [c["id"] for c in listed[3:]] == [c["id"] for c in pushed]
        await comments.assert_quiet()

        # The feed pushed each registration once, and replays them after the first.
        live = [await next_data(feed, "caseChanged") for _ in range(20)]
        assert sorted(c["case"]["number"] for c in live) == numbers
        replay = await socket_to(a.base_url, tenant.admin_token, stack)
        await replay.subscribe(CASE_CHANGED, {"after": registered["id"]})
        replayed = [await next_data(replay, "caseChanged") for _ in range(20)]
        assert [c["id"] for c in replayed] == [c["id"] for c in live]

    # The sign-in throttle: three wrong passwords, then even the right one is refused.
    for _ in range(3):
        wrong = await b.data(LOGIN, {"e": member["email"], "p": "fel lösenord"})
        assert wrong["login"]["userErrors"][0]["code"] == "INVALID"
    refused = await a.post(LOGIN, {"e": member["email"], "p": PASSWORD})
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED", refused
    assert (await a.data("{ viewer { kind } }", token=member["token"]))["viewer"]["kind"]

    # Both instances sweep for deadlines every half second: one reminder, to the assignee.
    async def reminders() -> list[dict[str, Any]]:
        data = await a.data(NOTIFICATIONS, token=member["token"])
        edges = data["viewer"]["notifications"]["edges"]
        return [e["node"] for e in edges if e["node"]["kind"] == "DEADLINE_REMINDER"]

    assert await eventually(reminders, timeout=20, what="the deadline reminder")
    await asyncio.sleep(1.5)  # three more sweeps on each instance
    assert await reminders() == [{"kind": "DEADLINE_REMINDER", "case": {"id": case["id"]}}]


def server_env(pooled: Pooled, bouncer: PgBouncer, pooler: str) -> dict[str, str]:
    return {
        "WORKCLOUD_DATABASE_URL": bouncer.url(pooled.database.name),
        "WORKCLOUD_DATABASE_POOLER": pooler,
        "WORKCLOUD_BROADCAST_URL": REDIS_URL,
        "WORKCLOUD_BROADCAST_CHANNEL_PREFIX": f"{pooled.database.name}.",
        "WORKCLOUD_STORAGE_URL": f"file://{pooled.directory / 'attachments'}",
        "WORKCLOUD_DEADLINE_REMINDER_INTERVAL": "0.5",
        "WORKCLOUD_SIGN_IN_FAILURES_PER_EMAIL": "3",
        "WORKCLOUD_PASSWORD_HASH_TIME_COST": "1",
        "WORKCLOUD_PASSWORD_HASH_MEMORY_KIB": "1024",
    }


async def a_tenant(db: Database) -> tuple[int, str]:
    """Set-up as the CLI does it, through the pooler too: the schema, then a tenant."""
    await db.migrate()
    email = f"{unique('admin')}@example.se"
    async with db.transaction(None) as session:
        tenant, _admin = await create_tenant(
            session, name="Kvarnen", admin_email=email, admin_password=PASSWORD
        )
    return tenant.id, email


async def two_instances_run_the_app(
    pooled: Pooled, bouncer: PgBouncer, pooler: str, db: Database, logs: list[str]
) -> None:
    """Starts two servers on `bouncer`, runs the app on them; their output goes to `logs`."""
    tenant_pk, email = await a_tenant(db)
    servers = [ServerProcess(server_env(pooled, bouncer, pooler)) for _ in range(2)]
    try:
        # Starting takes long on a busy machine: the app's imports alone.
        await asyncio.gather(*(server.start(timeout=120) for server in servers))
        async with (
            httpx.AsyncClient(base_url=servers[0].base_url, timeout=60) as http_a,
            httpx.AsyncClient(base_url=servers[1].base_url, timeout=60) as http_b,
        ):
            a, b = (
                Api(base_url=server.base_url, http=http, db=db, backend="postgres", services=None)  # type: ignore[arg-type]
                for server, http in zip(servers, (http_a, http_b), strict=True)
            )
            tenant = Tenant(a, tenant_pk, email, await a.login(email))
            await run_the_app(a, b, tenant)
    finally:
        for server in servers:
            await server.stop()
            logs.append(server.output())
            server.remove_log()


async def test_the_app_works_through_pgbouncer_with_the_pooler_setting(pooled: Pooled) -> None:
    db = Database(pooled.url, pooler="pgbouncer")
    logs: list[str] = []
    try:
        await two_instances_run_the_app(pooled, pooled.bouncer, "pgbouncer", db, logs)
    finally:
        await db.dispose()
    # No server connection PgBouncer keeps open holds a lock the app took.
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        held = await connection.fetchval(
            "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database"
            " WHERE locktype = 'advisory' AND d.datname = $1",
            pooled.database.name,
        )
    finally:
        await connection.close()
    assert held == 0
    for output in logs:
        assert not any(error in output for error in PREPARED_STATEMENT_ERRORS), output
        assert "Traceback" not in output, output
    assert "unsupported startup parameter" not in pooled.bouncer.output()


async def test_without_the_setting_pgbouncer_breaks_the_app(pooled: Pooled) -> None:
    # As deployed, PgBouncer refuses the plan setting a direct connection asks for.
    direct = Database(pooled.url)
    try:
        with pytest.raises(DBAPIError, match="unsupported startup parameter: plan_cache_mode"):
            await direct.ping()
    finally:
        await direct.dispose()

    # Told to ignore it, it lets the instances in; then prepared statements are missing on
    # the server connection a transaction gets, or already there from another instance.
    (pooled.directory / "lenient").mkdir()
    lenient = PgBouncer(
        pooled.directory / "lenient", PG_ADMIN_DSN, ignore_startup_parameters=("plan_cache_mode",)
    )
    await lenient.start()
    db = Database(pooled.url, pooler="pgbouncer")
    logs: list[str] = []
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 (whichever step fails first)
            await two_instances_run_the_app(pooled, lenient, "none", db, logs)
    finally:
        await lenient.stop()
        await db.dispose()
    output = "\n".join(logs)
    assert re.search(r'prepared statement "__asyncpg_stmt_\w+__" (does not|already) exist', output)


# What would outlive a transaction on a pooled server connection: session-level advisory
# locks, LISTEN, temporary tables, SET without LOCAL, prepared statements by SQL.
SESSION_STATE = re.compile(
    r"pg_(?:try_)?advisory_lock|pg_advisory_unlock|\bUNLISTEN\b|\bLISTEN\b"
    r"|\bCREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\b|[\"']\s*SET\s+(?!LOCAL\b|NULL\b|DEFAULT\b)"
    r"|[\"']\s*(?:PREPARE|DISCARD|RESET)\b"
)
SET_CONFIG = re.compile(r"set_config\((?:[^()]|\([^()]*\))*\)")
APP_PACKAGES = ["config", "db", "domain", "bus", "storage", "messaging", "graph", "workcloud"]


def test_the_app_keeps_no_state_beyond_a_transaction(repo_root: Path) -> None:
    found = []
    for package in APP_PACKAGES:
        for path in sorted((repo_root / package).rglob("*.py")):
            source = path.read_text()
            found += [f"{path}: {m.group(0)}" for m in SESSION_STATE.finditer(source)]
            # set_config(name, value, is_local): only ever for the transaction.
            found += [
                f"{path}: {m.group(0)}"
                for m in SET_CONFIG.finditer(source)
                if not re.search(r",\s*(?:True|true)\s*\)$", m.group(0))
            ]
    assert found == []
