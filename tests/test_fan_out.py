"""One event to many subscribers: read and rendered once, yet each gets its own selection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from domain import channels
from graph.ids import pk_of
from tests.support.client import Api, GraphQLSocket, Tenant, eventually

FULL = """subscription($caseId: ID!, $after: ID) { commentAdded(caseId: $caseId, after: $after) {
  id body author { name } mentions { handle } } }"""
OTHER = """subscription Other($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { by: author { handle } case { title } } }"""
ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id } } }"""


async def _deliver(
    api: Api, tenant: Tenant, case_id: str, documents: list[str], body: str
) -> tuple[int, list[dict[str, Any]]]:
    """Subscribes once per document, adds a comment; the statements it cost and the payloads.

    Each subscription starts after the next to last comment and is live once it has
    replayed the last one; only then are the statements counted.
    """
    earlier = await tenant.add_comment(case_id, "Tidigare")
    latest = await tenant.add_comment(case_id, "Senaste")
    async with AsyncExitStack() as stack:
        sockets: list[GraphQLSocket] = []
        for document in documents:
            socket = await stack.enter_async_context(api.ws(tenant.admin_token))
            variables = {"caseId": case_id, "after": earlier}
            # OTHER selects no id; the one comment after `earlier` is the one it replays.
            replayed = {"id": latest} if document == FULL else {}
            await socket.subscribe_live(document, variables, replayed=replayed)
            sockets.append(socket)
        async with api.counting_statements() as counter:
            await api.data(ADD_COMMENT, {"caseId": case_id, "body": body}, tenant.admin_token)
            payloads = []
            for socket in sockets:
                message = await socket.receive()
                payloads.append(message["payload"]["data"]["commentAdded"])
    return counter.count, payloads


async def test_many_subscribers_cost_what_one_does(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.create_user("Sara", handle="sara")
    case_id = await tenant.create_case("Ventilationen bullrar")

    alone, [single] = await _deliver(api, tenant, case_id, [FULL], "@sara en")
    many, payloads = await _deliver(api, tenant, case_id, [FULL] * 8, "@sara många")

    assert single["body"] == "@sara en"
    assert all(p == payloads[0] for p in payloads)
    assert payloads[0]["body"] == "@sara många"
    assert payloads[0]["mentions"] == [{"handle": "sara"}]
    # Eight subscribers each checking access, reading the row and its author would cost
    # several statements more per subscriber; shared, they cost about what one does.
    assert many <= alone + 3, (alone, many)


async def test_each_subscriber_gets_exactly_its_own_selection(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case("Trasig entréport")
    _count, payloads = await _deliver(
        api, tenant, case_id, [FULL, OTHER, FULL, OTHER], "Porten är lagad"
    )
    full, other = payloads[0], payloads[1]
    assert set(full) == {"id", "body", "author", "mentions"}
    assert set(other) == {"by", "case"}
    assert other["case"] == {"title": "Trasig entréport"}
    assert payloads[2] == full
    assert payloads[3] == other


def _operation_tasks() -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "").endswith("run_operation")
    ]


async def test_live_subscribers_have_no_task_of_their_own(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case("Fläkten i källaren")
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None
    channel = channels.case_comments(tenant.pk, case_pk)
    async with AsyncExitStack() as stack:
        sockets = []
        for document in [FULL, OTHER, FULL]:
            socket = await stack.enter_async_context(api.ws(tenant.admin_token))
            await socket.subscribe(document, {"caseId": case_id})
            sockets.append(socket)
        await _until(lambda: len(api.services.live.subscribers_of(channel)) == 3)
        # Parked in the channel's dispatcher: each operation's task ends (it may still be
        # giving back its connection as the third one parks); none waits per subscriber.
        await _until(lambda: _operation_tasks() == [])
        await api.data(ADD_COMMENT, {"caseId": case_id, "body": "Bytt filter"}, tenant.admin_token)
        bodies = [(await s.receive())["payload"]["data"]["commentAdded"] for s in sockets]
        assert bodies[0]["body"] == bodies[2]["body"] == "Bytt filter"
        assert set(bodies[1]) == {"by", "case"}


async def test_complete_ends_a_live_subscription_and_frees_its_id(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case("Läckande kran")
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None
    channel = channels.case_comments(tenant.pk, case_pk)
    async with api.ws(tenant.admin_token) as socket:
        operation = await socket.subscribe(FULL, {"caseId": case_id})
        await _until(lambda: len(api.services.live.subscribers_of(channel)) == 1)
        await socket.send({"id": operation, "type": "complete"})
        await _until(lambda: not api.services.live.subscribers_of(channel))
        await api.data(ADD_COMMENT, {"caseId": case_id, "body": "Ingen hör"}, tenant.admin_token)
        assert await socket.execute("{ viewer { kind } }") == {
            "data": {"viewer": {"kind": "STAFF"}}
        }
        await socket.assert_quiet()
        # The same id may subscribe again (a duplicate live id would close the socket).
        await socket.send(
            {
                "id": operation,
                "type": "subscribe",
                "payload": {"query": FULL, "variables": {"caseId": case_id}},
            }
        )
        await _until(lambda: len(api.services.live.subscribers_of(channel)) == 1)
        await api.data(ADD_COMMENT, {"caseId": case_id, "body": "Nu igen"}, tenant.admin_token)
        message = await socket.receive()
        assert message["id"] == operation
        assert message["payload"]["data"]["commentAdded"]["body"] == "Nu igen"


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, timeout=timeout)
