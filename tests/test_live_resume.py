"""Subscriptions resume after a cursor with no gap and no duplicate, then go on live."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.support.client import Api, GraphQLSocket

ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id } userErrors { code } } }"""
COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body author { name } } }"""
NOTIFICATION_RECEIVED = """subscription($after: ID) {
  notificationReceived(after: $after) { id kind comment { body } } }"""


async def add_comment(api: Api, token: str, case_id: str, body: str) -> str:
    data = await api.data(ADD_COMMENT, {"caseId": case_id, "body": body}, token)
    comment_id: str = data["addComment"]["comment"]["id"]
    return comment_id


async def next_payloads(socket: GraphQLSocket, field: str, count: int) -> list[dict[str, Any]]:
    payloads = []
    for _ in range(count):
        message = await socket.receive()
        assert message["type"] == "next", message
        payloads.append(message["payload"]["data"][field])
    return payloads


async def assert_silent(socket: GraphQLSocket) -> None:
    """Nothing more comes: not before the answer to a query asked now, nor for a while after."""
    assert await socket.execute("{ viewer { kind } }") == {"data": {"viewer": {"kind": "STAFF"}}}
    await socket.assert_quiet()


async def comment_until_pushed(
    api: Api, token: str, case_id: str, socket: GraphQLSocket, timeout: float = 10
) -> list[str]:
    """For a comment subscription started without `after`, live from a moment no message
    tells: comments ("prov 1", "prov 2", ...) until one is pushed, and reads the ones after
    it. The ids of the comments written; the first pushed must be one of them.
    """
    written: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        written.append(await add_comment(api, token, case_id, f"prov {len(written) + 1}"))
        try:
            message = await socket.receive(timeout=0.2)
            break
        except TimeoutError:
            assert time.monotonic() < deadline, "the subscription never went live"
    assert message["type"] == "next", message
    pushed = message["payload"]["data"]["commentAdded"]["id"]
    assert pushed in written, message
    # Live from then on: the ones written after it follow, in order.
    after = written[written.index(pushed) + 1 :]
    assert [c["id"] for c in await next_payloads(socket, "commentAdded", len(after))] == after
    return written


async def test_comment_subscription_resumes_after_missed_comments(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    first = await add_comment(api, erik["token"], case_id, "ett")

    async with api.ws(tenant.admin_token) as socket:
        # Without `after` it starts live: the comment from before never comes.
        await socket.subscribe(COMMENT_ADDED, {"caseId": case_id})
        probes = await comment_until_pushed(api, erik["token"], case_id, socket)
        second = await add_comment(api, erik["token"], case_id, "två")
        live = await next_payloads(socket, "commentAdded", 1)
        assert live == [{"id": second, "body": "två", "author": {"name": "Erik Johansson"}}]

    # The client is away while three more comments are written.
    missed = [
        await add_comment(api, erik["token"], case_id, body) for body in ["tre", "fyra", "fem"]
    ]

    async with api.ws(tenant.admin_token) as socket:
        await socket.subscribe(COMMENT_ADDED, {"caseId": case_id, "after": second})
        replayed = await next_payloads(socket, "commentAdded", 3)
        assert [c["id"] for c in replayed] == missed
        assert [c["body"] for c in replayed] == ["tre", "fyra", "fem"]
        sixth = await add_comment(api, erik["token"], case_id, "sex")
        assert [c["id"] for c in await next_payloads(socket, "commentAdded", 1)] == [sixth]
        await assert_silent(socket)

    # From the very first comment: everything after it, in order.
    async with api.ws(tenant.admin_token) as socket:
        await socket.subscribe(COMMENT_ADDED, {"caseId": case_id, "after": first})
        count = len(probes) + 5
        bodies = [c["body"] for c in await next_payloads(socket, "commentAdded", count)]
        probe_bodies = [f"prov {n}" for n in range(1, len(probes) + 1)]
        assert bodies == [*probe_bodies, "två", "tre", "fyra", "fem", "sex"]
        await assert_silent(socket)


async def test_notifications_resume_while_comments_keep_coming(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara Nilsson", handle="sara")
    case_id = await tenant.create_case()
    await add_comment(api, tenant.admin_token, case_id, "@sara första")
    lobby = await api.data(
        "{ viewer { notifications(first: 1) { edges { node { id } } } } }", token=sara["token"]
    )
    seen = lobby["viewer"]["notifications"]["edges"][0]["node"]["id"]
    for i in range(4):
        await add_comment(api, tenant.admin_token, case_id, f"@sara missad {i}")

    async with api.ws(sara["token"]) as socket:
        await socket.subscribe(NOTIFICATION_RECEIVED, {"after": seen})
        # Comments written concurrently with the replay are delivered once, in order.
        writer = asyncio.gather(
            *[add_comment(api, tenant.admin_token, case_id, f"@sara ny {i}") for i in range(3)]
        )
        got = await next_payloads(socket, "notificationReceived", 7)
        await writer
        bodies = [n["comment"]["body"] for n in got]
        assert bodies[:4] == [f"@sara missad {i}" for i in range(4)]
        assert sorted(bodies[4:]) == [f"@sara ny {i}" for i in range(3)]
        ids = [n["id"] for n in got]
        assert len(set(ids)) == 7
        await assert_silent(socket)


async def test_subscription_to_another_tenants_case_is_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    case_id = await other.create_case()
    async with api.ws(tenant.admin_token) as socket:
        operation = await socket.subscribe(COMMENT_ADDED, {"caseId": case_id})
        message = await socket.receive()
        assert message["id"] == operation
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_subscription_ends_when_its_token_is_revoked(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara Nilsson", handle="sara")
    case_id = await tenant.create_case()
    for body in ["@sara ett", "@sara två"]:
        await add_comment(api, tenant.admin_token, case_id, body)
    lobby = await api.data(
        "{ viewer { notifications(first: 2) { edges { node { id } } } } }", token=sara["token"]
    )
    newer, older = [edge["node"]["id"] for edge in lobby["viewer"]["notifications"]["edges"]]
    async with api.ws(sara["token"]) as socket:
        operation = await socket.subscribe_live(
            NOTIFICATION_RECEIVED, {"after": older}, replayed={"id": newer}
        )
        await add_comment(api, tenant.admin_token, case_id, "@sara före")
        [before] = await next_payloads(socket, "notificationReceived", 1)
        assert before["comment"]["body"] == "@sara före"

        # Revoked without the announcement that would close the socket at once.
        await api.end_sign_in_quietly(sara["token"])
        await add_comment(api, tenant.admin_token, case_id, "@sara efter utloggning")
        # Checked before the event is sent: the subscription ends instead.
        assert await socket.receive() == {"id": operation, "type": "complete"}
