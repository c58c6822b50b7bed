"""The id key, with real processes: every instance and restart on one database gives the same
ids as `create-tenant` printed; WORKCLOUD_ID_KEY replaces the database's key; ids from before
the key existed keep working; the key reaches no log."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select
from websockets.asyncio.client import connect

from db.engine import Database, alembic_config
from db.models import Case, Comment, GlobalIdKey
from domain.cases.event_log import Actor
from domain.cases.registration import register_case
from domain.cases.state import CaseInput
from domain.comments import add_comment
from domain.tenants import create_tenant
from domain.viewer import Viewer, ViewerKind
from tests.conftest import REQUIRE_SERVICES, PostgresDatabase, services_problem
from tests.support.client import PASSWORD, GraphQLSocket, unique
from tests.support.server_process import ServerProcess

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
VIEWER = "{ viewer { user { id } } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
REGISTER = """mutation($t: String!) { registerCase(input: {title: $t}) { case { id } } }"""
ADD_COMMENT = """mutation($c: ID!, $b: String!) { addComment(input: {caseId: $c, body: $b}) {
  comment { id } } }"""
COMMENT_ADDED = """subscription($c: ID!, $after: ID) { commentAdded(caseId: $c, after: $after) {
  id body } }"""


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test's own, empty."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ids.db'}"
        return
    problem = await services_problem()
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"POSTGRESQL + REDIS HALF SKIPPED: {problem}")
    database = PostgresDatabase()
    await database.create()
    try:
        yield database.url
    finally:
        await database.drop()


def environment(database_url: str, **more: str) -> dict[str, str]:
    return {
        "WORKCLOUD_DATABASE_URL": database_url,
        "WORKCLOUD_BROADCAST_URL": "memory://",
        "WORKCLOUD_DEADLINE_REMINDER_INTERVAL": "0",
        "WORKCLOUD_PASSWORD_HASH_TIME_COST": "1",
        "WORKCLOUD_PASSWORD_HASH_MEMORY_KIB": "1024",
        **more,
    }


async def create_tenant_command(env: dict[str, str], email: str) -> dict[str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workcloud.cli",
        "create-tenant",
        "Kvarnen",
        "--admin-email",
        email,
        "--admin-password",
        PASSWORD,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    printed: dict[str, str] = json.loads(out)
    return printed


async def ask(server: ServerProcess, query: str, variables: dict[str, Any], token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
        answer = (
            await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        ).json()
    assert "errors" not in answer, answer
    return answer["data"]


async def sign_in(server: ServerProcess, email: str) -> tuple[str, str]:
    """(token, the viewer's user id) on `server`."""
    token = (await ask(server, LOGIN, {"e": email, "p": PASSWORD}))["login"]["token"]
    return token, (await ask(server, VIEWER, {}, token))["viewer"]["user"]["id"]


async def stored_secret(database_url: str) -> str:
    db = Database(database_url)
    try:
        async with db.session(None) as session:
            row = await session.get(GlobalIdKey, 1)
    finally:
        await db.dispose()
    assert row is not None
    return row.secret


async def test_ids_agree_across_instances_restarts_and_the_command_line(
    database_url: str,
) -> None:
    env = environment(database_url)
    email = f"{unique('admin')}@example.se"
    printed = await create_tenant_command(env, email)
    first, second = ServerProcess(env, log_level="debug"), ServerProcess(env)
    try:
        await first.start()
        await second.start()
        token, admin_id = await sign_in(first, email)
        assert admin_id == printed["adminId"]
        assert (await sign_in(second, email))[1] == admin_id

        case_id = (await ask(first, REGISTER, {"t": "Läckage"}, token))["registerCase"]["case"][
            "id"
        ]
        assert (await ask(second, NODE, {"id": case_id}, token))["node"]["id"] == case_id

        await first.stop()
        await first.start()
        assert (await ask(first, NODE, {"id": case_id}, token))["node"]["id"] == case_id
        assert (await sign_in(first, email))[1] == admin_id
    finally:
        await first.stop()
        await second.stop()
    output = first.output()
    first.remove_log()
    second.remove_log()
    assert "POST /graphql" in output  # the log was captured
    assert (await stored_secret(database_url)) not in output


async def test_the_id_key_setting_replaces_the_databases_key(database_url: str) -> None:
    key = secrets.token_urlsafe(32)
    keyed = environment(database_url, WORKCLOUD_ID_KEY=key)
    email = f"{unique('admin')}@example.se"
    printed = await create_tenant_command(keyed, email)
    with_key, without = (
        ServerProcess(keyed, log_level="debug"),
        ServerProcess(environment(database_url)),
    )
    try:
        await with_key.start()
        await without.start()
        token, admin_id = await sign_in(with_key, email)
        assert admin_id == printed["adminId"]
        # The database's own key makes other ids, and reads the setting's as nothing.
        assert (await sign_in(without, email))[1] != admin_id
        assert (await ask(without, NODE, {"id": admin_id}, token))["node"] is None
    finally:
        await with_key.stop()
        await without.stop()
    output = with_key.output()
    with_key.remove_log()
    without.remove_log()
    assert "POST /graphql" in output
    assert key not in output


def legacy_id(type_name: str, pk: int) -> str:
    """Ids as they were before they were enciphered, as a client may have saved them."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def _upgrade_to(connection: Connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _later_columns(connection: Connection, url: str, step: str) -> None:
    """Runs `step` ("upgrade"/"downgrade") of every migration after the id key's, so that
    today's models can write at the schema before it; what they add is independent of it."""
    config = alembic_config(url)
    script = ScriptDirectory.from_config(config)
    later = [r for r in script.walk_revisions("0003", "heads") if r.revision != "0003"]
    context = MigrationContext.configure(connection)
    with Operations.context(context):
        for revision in later if step == "downgrade" else reversed(later):
            getattr(revision.module, step)()


async def _before_the_key(database_url: str, email: str) -> dict[str, int]:
    """A database at the schema before the id key, with a tenant, a case and two comments."""
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(_upgrade_to, database_url, "0002")
            await connection.run_sync(_later_columns, database_url, "upgrade")
        async with db.transaction(None) as session:
            tenant, admin = await create_tenant(
                session, name="Gamla AB", admin_email=email, admin_password=PASSWORD
            )
            case = await register_case(session, Actor(user_id=admin.id), CaseInput(title="Gammalt"))
            viewer = Viewer(
                kind=ViewerKind.STAFF, tenant_id=tenant.id, token_id=0, user_id=admin.id
            )
            older = await add_comment(session, viewer, case.id, "första")
            newer = await add_comment(session, viewer, case.id, "andra")
            made = {"User": admin.id, "Case": case.id, "older": older.id, "newer": newer.id}
        async with db.engine.begin() as connection:
            await connection.run_sync(_later_columns, database_url, "downgrade")
        return made
    finally:
        await db.dispose()


async def _newest(database_url: str, column: Any) -> int:
    db = Database(database_url)
    try:
        async with db.session(None) as session:
            return int(await session.scalar(select(func.max(column))) or 0)
    finally:
        await db.dispose()


async def test_ids_handed_out_before_the_key_keep_working(database_url: str) -> None:
    email = f"{unique('admin')}@example.se"
    pks = await _before_the_key(database_url, email)
    server = ServerProcess(environment(database_url))
    try:
        await server.start()  # migrates: the key is made now
        token, admin_id = await sign_in(server, email)
        assert admin_id != legacy_id("User", pks["User"])
        found = await ask(server, NODE, {"id": legacy_id("User", pks["User"])}, token)
        assert found["node"] == {"__typename": "User", "id": admin_id}
        case = (await ask(server, NODE, {"id": legacy_id("Case", pks["Case"])}, token))["node"]
        assert case["__typename"] == "Case"
        assert case["id"] != legacy_id("Case", pks["Case"])

        # A subscriber resuming after the last comment it saw, by the id it saved then.
        url = server.base_url.replace("http", "ws", 1) + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as raw:  # type: ignore[list-item]
            socket = GraphQLSocket(raw)
            await socket.init({"authorization": f"Bearer {token}"})
            await socket.subscribe(
                COMMENT_ADDED,
                {"c": legacy_id("Case", pks["Case"]), "after": legacy_id("Comment", pks["older"])},
            )
            message = await socket.receive()
            assert message["payload"]["data"]["commentAdded"]["body"] == "andra"
            # Replayed, so live: the next comment is pushed.
            added = await ask(server, ADD_COMMENT, {"c": case["id"], "b": "tredje"}, token)
            message = await socket.receive()
            live = message["payload"]["data"]["commentAdded"]
            assert live == {"id": added["addComment"]["comment"]["id"], "body": "tredje"}

        # Objects made since have no legacy id: asking for one finds nothing.
        new_case = (await ask(server, REGISTER, {"t": "Nytt"}, token))["registerCase"]["case"]
        for type_name, column in [("Case", Case.id), ("Comment", Comment.id)]:
            newest = await _newest(database_url, column)
            assert newest > pks["Case" if type_name == "Case" else "newer"]
            missing = await ask(server, NODE, {"id": legacy_id(type_name, newest)}, token)
            assert missing["node"] is None
        assert (await ask(server, NODE, {"id": new_case["id"]}, token))["node"] is not None
    finally:
        await server.stop()
        server.remove_log()
