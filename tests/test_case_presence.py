"""Presence on a case: who views it and who is typing, live, on one instance and across several."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from config.settings import Settings
from tests.conftest import (
    CHEAP_PASSWORD_HASHES,
    REDIS_URL,
    REQUIRE_SERVICES,
    TEST_PING_INTERVAL,
    PostgresDatabase,
    serve,
    services_problem,
)
from tests.support.client import Api, GraphQLSocket, Tenant
from tests.support.processes import free_port, wait_until_healthy

CASE_PRESENCE = """subscription($caseId: ID!) {
  casePresence(caseId: $caseId) { viewers { name } typing { name } } }"""
SET_TYPING = """mutation($caseId: ID!, $typing: Boolean!) {
  setTyping(input: {caseId: $caseId, typing: $typing}) {
    presence { viewers { name } typing { name } } userErrors { field code } } }"""
DELETE_CASE = """mutation($id: ID!) { deleteCase(input: {id: $id}) { userErrors { code } } }"""


def presence(viewers: list[str], typing: list[str] | None = None) -> dict[str, Any]:
    return {
        "viewers": [{"name": n} for n in viewers],
        "typing": [{"name": n} for n in typing or []],
    }


async def within(socket: GraphQLSocket, seconds: float) -> dict[str, Any]:
    """The next message within `seconds` in all (the server's pings do not stretch it)."""
    async with asyncio.timeout(seconds):
        return await socket.receive(timeout=seconds)


async def pushed(socket: GraphQLSocket, timeout: float = 5.0) -> dict[str, Any]:
    message = await within(socket, timeout)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    value: dict[str, Any] = message["payload"]["data"]["casePresence"]
    return value


async def assert_silent(socket: GraphQLSocket, seconds: float = 0.5) -> None:
    try:
        message = await within(socket, seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {message}")


async def refusal(socket: GraphQLSocket, case_id: str) -> dict[str, Any]:
    """The error a subscription to `case_id` is refused with (code and message)."""
    operation = await socket.subscribe(CASE_PRESENCE, {"caseId": case_id})
    message = await within(socket, 5)
    assert message["id"] == operation, message
    if message["type"] == "error":
        errors = message["payload"]
    else:
        assert message["type"] == "next", message
        assert message["payload"].get("data") is None, message
        errors = message["payload"]["errors"]
        assert await within(socket, 5) == {"id": operation, "type": "complete"}
    return {"code": errors[0]["extensions"]["code"], "message": errors[0]["message"]}


async def set_typing(api: Api, token: str, case_id: str, typing: bool) -> dict[str, Any]:
    data = await api.data(SET_TYPING, {"caseId": case_id, "typing": typing}, token)
    result: dict[str, Any] = data["setTyping"]
    return result


async def staff(api: Api) -> tuple[Tenant, str, dict[str, Any], dict[str, Any]]:
    """A tenant with a case and two members, Anna and Sara."""
    tenant = await api.new_tenant()
    anna = await tenant.create_user("Anna Berg")
    sara = await tenant.create_user("Sara Nilsson")
    case_id = await tenant.create_case()
    return tenant, case_id, anna, sara


async def test_viewers_come_and_go_and_a_user_counts_once(api: Api) -> None:
    _tenant, case_id, anna, sara = await staff(api)
    async with api.ws(sara["token"]) as watcher:
        await watcher.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Sara Nilsson"])

        async with AsyncExitStack() as tabs:
            first = await tabs.enter_async_context(api.ws(anna["token"]))
            await first.subscribe(CASE_PRESENCE, {"caseId": case_id})
            both = presence(["Anna Berg", "Sara Nilsson"])
            assert await pushed(first) == both
            assert await pushed(watcher) == both

            # A second tab of Anna's: she is still one viewer, and nobody is told again.
            second = await tabs.enter_async_context(api.ws(anna["token"]))
            await second.subscribe(CASE_PRESENCE, {"caseId": case_id})
            assert await pushed(second) == both
            await assert_silent(watcher)
            await assert_silent(first)

            # Closing one tab leaves her viewing.
            await second.socket.close()
            await assert_silent(watcher)
            await assert_silent(first)
        # Closing the last one does not.
        assert await pushed(watcher) == presence(["Sara Nilsson"])


async def test_completing_the_subscription_ends_viewing(api: Api) -> None:
    _tenant, case_id, anna, sara = await staff(api)
    async with api.ws(sara["token"]) as watcher, api.ws(anna["token"]) as socket:
        await watcher.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Sara Nilsson"])
        operation = await socket.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(socket) == presence(["Anna Berg", "Sara Nilsson"])
        assert await pushed(watcher) == presence(["Anna Berg", "Sara Nilsson"])

        await socket.send({"id": operation, "type": "complete"})
        assert await pushed(watcher) == presence(["Sara Nilsson"])
        # The socket stays open and usable; only the operation ended.
        still = await socket.execute("{ viewer { __typename } }")
        assert still["data"]["viewer"] is not None
        await assert_silent(socket)


async def test_a_sign_in_that_ends_ends_viewing(api: Api) -> None:
    _tenant, case_id, anna, sara = await staff(api)
    async with api.ws(sara["token"]) as watcher, api.ws(anna["token"]) as socket:
        await watcher.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Sara Nilsson"])
        await socket.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Anna Berg", "Sara Nilsson"])

        await api.data("mutation { logout { ok } }", token=anna["token"])
        assert await pushed(watcher) == presence(["Sara Nilsson"])


async def test_typing_shows_at_once_and_ends_after_ten_seconds(api: Api) -> None:
    _tenant, case_id, anna, sara = await staff(api)
    async with api.ws(sara["token"]) as watcher:
        await watcher.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Sara Nilsson"])

        typed = await set_typing(api, anna["token"], case_id, True)
        started = time.monotonic()
        # Anna types without viewing: she is typing, not a viewer.
        assert typed == {"presence": presence(["Sara Nilsson"], ["Anna Berg"]), "userErrors": []}
        assert await pushed(watcher) == presence(["Sara Nilsson"], ["Anna Berg"])

        # Typing again while typing changes nothing anyone sees, but starts the 10 s anew.
        await asyncio.sleep(1.0)
        await set_typing(api, anna["token"], case_id, True)
        started = time.monotonic()
        await assert_silent(watcher)

        assert await pushed(watcher, timeout=15) == presence(["Sara Nilsson"])
        elapsed = time.monotonic() - started
        assert 9.5 <= elapsed <= 12.0, elapsed


async def test_typing_false_ends_typing_at_once(api: Api) -> None:
    _tenant, case_id, anna, sara = await staff(api)
    async with api.ws(sara["token"]) as watcher:
        await watcher.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Sara Nilsson"])
        await set_typing(api, anna["token"], case_id, True)
        await set_typing(api, sara["token"], case_id, True)
        typing = presence(["Sara Nilsson"], ["Anna Berg", "Sara Nilsson"])
        got = await pushed(watcher)
        if got != typing:  # the two may come as one push or as two
            assert got == presence(["Sara Nilsson"], ["Anna Berg"])
            assert await pushed(watcher) == typing

        stopped = await set_typing(api, anna["token"], case_id, False)
        assert stopped["presence"] == presence(["Sara Nilsson"], ["Sara Nilsson"])
        assert await pushed(watcher) == presence(["Sara Nilsson"], ["Sara Nilsson"])
        # Stopping again, when not typing, changes nothing.
        await set_typing(api, anna["token"], case_id, False)
        await assert_silent(watcher)


async def test_another_tenants_case_is_answered_as_a_deleted_one(api: Api) -> None:
    tenant, _case_id, anna, _sara = await staff(api)
    other = await api.new_tenant("Annan AB")
    theirs = await other.create_case()
    deleted = await tenant.create_case("Dubblett")
    assert (await api.data(DELETE_CASE, {"id": deleted}, tenant.admin_token))["deleteCase"] == {
        "userErrors": []
    }

    async with api.ws(other.admin_token) as their_watcher, api.ws(anna["token"]) as socket:
        await their_watcher.subscribe(CASE_PRESENCE, {"caseId": theirs})
        assert len((await pushed(their_watcher))["viewers"]) == 1

        as_deleted = await refusal(socket, deleted)
        assert as_deleted["code"] == "NOT_FOUND"
        assert await refusal(socket, theirs) == as_deleted
        assert await refusal(socket, "not-an-id") == as_deleted

        not_found = {
            "presence": None,
            "userErrors": [{"field": ["input", "caseId"], "code": "NOT_FOUND"}],
        }
        assert await set_typing(api, anna["token"], theirs, True) == not_found
        assert await set_typing(api, anna["token"], deleted, True) == not_found
        # Nothing of Anna's reached the other tenant's case.
        await assert_silent(their_watcher)


async def test_portal_viewers_are_forbidden(api: Api) -> None:
    tenant, case_id, _anna, _sara = await staff(api)
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    async with api.ws(contact["token"]) as socket:
        assert (await refusal(socket, case_id))["code"] == "FORBIDDEN"
    codes = await api.error_codes(SET_TYPING, {"caseId": case_id, "typing": True}, contact["token"])
    assert codes == ["FORBIDDEN"]


async def test_the_subscription_ends_once_its_case_is_deleted(api: Api) -> None:
    tenant, case_id, anna, sara = await staff(api)
    async with api.ws(sara["token"]) as watcher:
        operation = await watcher.subscribe(CASE_PRESENCE, {"caseId": case_id})
        assert await pushed(watcher) == presence(["Sara Nilsson"])
        async with api.ws(anna["token"]) as socket:
            await socket.subscribe(CASE_PRESENCE, {"caseId": case_id})
            assert await pushed(watcher) == presence(["Anna Berg", "Sara Nilsson"])
            await api.data(DELETE_CASE, {"id": case_id}, tenant.admin_token)
        # Anna leaves a deleted case: checked before that push, Sara's subscription ends.
        assert await within(watcher, 5) == {"id": operation, "type": "complete"}


# Several instances on one PostgreSQL and one Redis.


@pytest.fixture(scope="module")
async def shared_settings() -> AsyncIterator[Settings]:
    problem = await services_problem()
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"SEVERAL-INSTANCE TESTS SKIPPED: {problem}")
    database = PostgresDatabase()
    await database.create()
    try:
        yield Settings(
            database_url=database.url,
            broadcast_url=REDIS_URL,
            broadcast_channel_prefix=f"{database.name}.",
            ws_ping_interval=TEST_PING_INTERVAL,
            deadline_reminder_interval=0,
            **CHEAP_PASSWORD_HASHES,
        )
    finally:
        await database.drop()


@asynccontextmanager
async def instance(settings: Settings) -> AsyncIterator[Api]:
    async for base_url, app in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            services = app.state.services
            yield Api(
                base_url=base_url, http=http, db=services.db, backend="postgres", services=services
            )


@asynccontextmanager
async def killable_instance(settings: Settings, **env: str) -> AsyncIterator[tuple[str, Any]]:
    """`workcloud serve` in a process of its own, which the test may kill outright."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "workcloud.cli", "serve", "--port", str(port), "--log-level", "warning"),
        env={
            **os.environ,
            "WORKCLOUD_DATABASE_URL": settings.database_url,
            "WORKCLOUD_BROADCAST_URL": settings.broadcast_url,
            "WORKCLOUD_BROADCAST_CHANNEL_PREFIX": settings.broadcast_channel_prefix,
            "WORKCLOUD_DEADLINE_REMINDER_INTERVAL": "0",
            **env,
        },
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(base_url)
        yield base_url, process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def socket_at(base_url: str, token: str) -> GraphQLSocket:
    url = base_url.replace("http", "ws", 1) + "/graphql"
    socket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    client = GraphQLSocket(socket)
    await client.init({"authorization": f"Bearer {token}"})
    return client


async def test_presence_is_shared_by_instances(shared_settings: Settings) -> None:
    async with instance(shared_settings) as a, instance(shared_settings) as b:
        _tenant, case_id, anna, sara = await staff(a)
        async with a.ws(sara["token"]) as on_a:
            await on_a.subscribe(CASE_PRESENCE, {"caseId": case_id})
            assert await pushed(on_a) == presence(["Sara Nilsson"])

            # Anna views on B: she sees Sara (on A) at once, and Sara sees her.
            async with b.ws(anna["token"]) as on_b:
                await on_b.subscribe(CASE_PRESENCE, {"caseId": case_id})
                both = presence(["Anna Berg", "Sara Nilsson"])
                assert await pushed(on_b) == both
                assert await pushed(on_a) == both

                # Typing said on one instance and unsaid on the other: the latest counts.
                typed = await set_typing(b, sara["token"], case_id, True)
                assert typed["presence"] == presence(
                    ["Anna Berg", "Sara Nilsson"], ["Sara Nilsson"]
                )
                assert await pushed(on_a) == typed["presence"]
                assert await pushed(on_b) == typed["presence"]
                stopped = await set_typing(a, sara["token"], case_id, False)
                assert stopped["presence"] == both
                assert await pushed(on_a) == both
                assert await pushed(on_b) == both

                # Anna's second tab on A: still one viewer, on either instance.
                async with a.ws(anna["token"]) as tab:
                    await tab.subscribe(CASE_PRESENCE, {"caseId": case_id})
                    assert await pushed(tab) == both
                    await assert_silent(on_a)
                    await assert_silent(on_b)
                await assert_silent(on_a)
            # Her last tab closed on B: gone on A too.
            assert await pushed(on_a) == presence(["Sara Nilsson"])


async def test_an_instance_that_dies_leaves_no_viewer_behind(shared_settings: Settings) -> None:
    async with (
        instance(shared_settings) as a,
        killable_instance(shared_settings, WORKCLOUD_PRESENCE_HEARTBEAT_SECONDS="0.5") as (
            dying_url,
            dying,
        ),
    ):
        _tenant, case_id, anna, sara = await staff(a)
        async with a.ws(sara["token"]) as on_a:
            await on_a.subscribe(CASE_PRESENCE, {"caseId": case_id})
            assert await pushed(on_a) == presence(["Sara Nilsson"])

            there = await socket_at(dying_url, anna["token"])
            await there.subscribe(CASE_PRESENCE, {"caseId": case_id})
            assert await pushed(there) == presence(["Anna Berg", "Sara Nilsson"])
            assert await pushed(on_a) == presence(["Anna Berg", "Sara Nilsson"])
            # Its heartbeats keep Anna there for longer than three of them.
            await assert_silent(on_a, seconds=2.5)

            # Killed: no goodbye, no closing socket; its part expires after three heartbeats.
            dying.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            assert await pushed(on_a) == presence(["Sara Nilsson"])
            assert time.monotonic() - killed < 4.0


async def test_an_instance_that_stops_takes_its_viewers_along(shared_settings: Settings) -> None:
    async with instance(shared_settings) as a:
        _tenant, case_id, anna, sara = await staff(a)
        async with a.ws(sara["token"]) as on_a:
            await on_a.subscribe(CASE_PRESENCE, {"caseId": case_id})
            assert await pushed(on_a) == presence(["Sara Nilsson"])
            async with instance(shared_settings) as b:
                there = await socket_at(b.base_url, anna["token"])
                await there.subscribe(CASE_PRESENCE, {"caseId": case_id})
                assert await pushed(on_a) == presence(["Anna Berg", "Sara Nilsson"])
            # B shut down with Anna's socket still open: gone at once, not after B's silence.
            assert await pushed(on_a, timeout=3) == presence(["Sara Nilsson"])
            await there.socket.close()
