"""The legacy graphql-ws protocol goes live through the same dispatcher as graphql-transport-ws:
replay, then the channel's one dispatcher delivers (`data` instead of `next`), no task per
subscription, `stop` and the per-socket limit as for a running operation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from domain import channels
from graph.ids import pk_of
from tests.support.client import Api, Tenant

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body author { name } } }"""
ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id } } }"""
CASE_CHANGED = "subscription { caseChanged { kind caseId case { title } } }"


class LegacySocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def start(
        self, operation_id: str, variables: dict[str, Any], query: str = COMMENT_ADDED
    ) -> None:
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation_id, "type": "start", "payload": payload})

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            text = await asyncio.wait_for(self.connection.recv(), timeout)
            message: dict[str, Any] = json.loads(text)
            if message["type"] != "ka":
                return message


@asynccontextmanager
async def legacy_socket(api: Api, token: str) -> AsyncIterator[LegacySocket]:
    async with api.raw_ws("graphql-ws") as connection:
        socket = LegacySocket(connection)
        await socket.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        assert (await socket.receive())["type"] == "connection_ack"
        yield socket


def comment_channel(tenant: Tenant, case_id: str) -> str:
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None
    return channels.case_comments(tenant.pk, case_pk)


async def add_comment(api: Api, tenant: Tenant, case_id: str, body: str) -> str:
    data = await api.data(ADD_COMMENT, {"caseId": case_id, "body": body}, tenant.admin_token)
    comment_id: str = data["addComment"]["comment"]["id"]
    return comment_id


def operation_tasks() -> list[asyncio.Task[Any]]:
    names = ("run_operation", "handle_async_results")
    return [
        t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", "").endswith(names)
    ]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


async def test_both_protocols_are_served_by_the_channels_one_dispatcher(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case("Stopp i avloppet")
    channel = comment_channel(tenant, case_id)
    async with (
        api.ws(tenant.admin_token) as current,
        legacy_socket(api, tenant.admin_token) as legacy,
    ):
        operation = await current.subscribe(COMMENT_ADDED, {"caseId": case_id})
        await legacy.start("a", {"caseId": case_id})
        await until(lambda: len(api.services.live.subscribers_of(channel)) == 2)
        await until(lambda: operation_tasks() == [])

        await add_comment(api, tenant, case_id, "Rensat")
        sent = await current.receive()
        got = await legacy.receive()
        assert sent["id"] == operation
        assert sent["type"] == "next"
        assert got == {"id": "a", "type": "data", "payload": sent["payload"]}
        assert got["payload"]["data"]["commentAdded"]["body"] == "Rensat"


async def test_a_legacy_subscription_replays_then_goes_live_without_gap(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case()
    first = await add_comment(api, tenant, case_id, "ett")
    await add_comment(api, tenant, case_id, "två")
    channel = comment_channel(tenant, case_id)
    async with legacy_socket(api, tenant.admin_token) as socket:
        await socket.start("1", {"caseId": case_id, "after": first})
        replayed = await socket.receive()
        assert replayed["type"] == "data"
        assert replayed["payload"]["data"]["commentAdded"]["body"] == "två"
        await until(lambda: len(api.services.live.subscribers_of(channel)) == 1)
        await add_comment(api, tenant, case_id, "tre")
        live = await socket.receive()
        assert live["id"] == "1"
        assert live["payload"]["data"]["commentAdded"]["body"] == "tre"
        with pytest.raises(TimeoutError):
            await socket.receive(timeout=0.5)


async def test_stop_ends_a_live_legacy_subscription_and_frees_its_id(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case()
    channel = comment_channel(tenant, case_id)
    async with legacy_socket(api, tenant.admin_token) as socket:
        await socket.start("x", {"caseId": case_id})
        await until(lambda: len(api.services.live.subscribers_of(channel)) == 1)
        await socket.send({"id": "x", "type": "stop"})
        assert await socket.receive() == {"type": "complete", "id": "x"}
        await until(lambda: not api.services.live.subscribers_of(channel))
        await add_comment(api, tenant, case_id, "ingen hör")
        with pytest.raises(TimeoutError):
            await socket.receive(timeout=0.5)

        await socket.start("x", {"caseId": case_id})
        await until(lambda: len(api.services.live.subscribers_of(channel)) == 1)
        await add_comment(api, tenant, case_id, "nu igen")
        message = await socket.receive()
        assert message["id"] == "x"
        assert message["payload"]["data"]["commentAdded"]["body"] == "nu igen"


async def test_a_legacy_subscription_ends_when_its_token_is_revoked(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara Nilsson")
    case_id = await tenant.create_case()
    channel = comment_channel(tenant, case_id)
    async with legacy_socket(api, sara["token"]) as socket:
        await socket.start("s", {"caseId": case_id})
        await until(lambda: len(api.services.live.subscribers_of(channel)) == 1)
        # Revoked without the announcement that would close the socket at once.
        await api.end_sign_in_quietly(sara["token"])
        await add_comment(api, tenant, case_id, "efter utloggning")
        assert await socket.receive() == {"type": "complete", "id": "s"}
        assert not api.services.live.subscribers_of(channel)


async def test_live_legacy_subscriptions_count_towards_the_limit(api_with: ApiWith) -> None:
    async with api_with(max_subscriptions_per_connection=2) as api:
        tenant = await api.new_tenant()
        case_id = await tenant.create_case()
        channel = comment_channel(tenant, case_id)
        async with legacy_socket(api, tenant.admin_token) as socket:
            for operation_id in ("1", "2"):
                await socket.start(operation_id, {"caseId": case_id})
            await until(lambda: len(api.services.live.subscribers_of(channel)) == 2)
            await socket.start("3", {"caseId": case_id})
            refused = await socket.receive()
        assert refused["id"] == "3"
        assert refused["type"] == "error"
        assert refused["payload"]["message"] == "Subscription limit reached"


async def test_a_legacy_table_view_is_served_by_the_tenants_feed(api: Api) -> None:
    tenant = await api.new_tenant()
    async with legacy_socket(api, tenant.admin_token) as socket:
        await socket.start("v", {}, CASE_CHANGED)
        await until(lambda: len(api.services.case_feeds.live_views(tenant.pk)) == 1)
        await until(lambda: operation_tasks() == [])
        case = await tenant.register_case(title="Fuktfläck i taket")
        message = await socket.receive()
        assert message["id"] == "v"
        assert message["type"] == "data"
        change = message["payload"]["data"]["caseChanged"]
        assert change == {
            "kind": "REGISTERED",
            "caseId": case["id"],
            "case": {"title": "Fuktfläck i taket"},
        }
