"""The customer conversation live: staff and the portal see both directions as they happen."""

from __future__ import annotations

from typing import Any

from tests.support.client import Api, GraphQLSocket
from tests.test_customer_conversation import PORTAL_SEND, Conversation, conversation, send
from tests.test_inbound_endpoint import post, reply

MESSAGE_ADDED = """subscription($caseId: ID!, $after: ID) {
  conversationMessageAdded(caseId: $caseId, after: $after) { id body direction authorName } }"""


async def next_messages(socket: GraphQLSocket, count: int) -> list[dict[str, Any]]:
    got = []
    for _ in range(count):
        message = await socket.receive()
        assert message["type"] == "next", message
        got.append(message["payload"]["data"]["conversationMessageAdded"])
    return got


async def portal_says(api: Api, c: Conversation, portal_case_id: str, body: str) -> str:
    answer = await api.data(
        PORTAL_SEND, {"input": {"caseId": portal_case_id, "body": body}}, c.contact["token"]
    )
    assert answer["portalSendMessage"]["userErrors"] == []
    message_id: str = answer["portalSendMessage"]["message"]["id"]
    return message_id


async def test_both_directions_reach_staff_and_portal_live(api: Api) -> None:
    c = await conversation(api)
    portal_case = await c.portal_case()
    # Two earlier messages: each subscription replays the second, and is then live.
    older = await portal_says(api, c, portal_case["id"], "Hej!")
    newer = await portal_says(api, c, portal_case["id"], "Är ni där?")
    async with api.ws(c.staff["token"]) as staff, api.ws(c.contact["token"]) as portal:
        for socket, case_id in [(staff, c.case["id"]), (portal, portal_case["id"])]:
            await socket.subscribe_live(
                MESSAGE_ADDED, {"caseId": case_id, "after": older}, replayed={"id": newer}
            )

        sent = await send(api, c, "Vi kommer på torsdag.")
        assert sent["userErrors"] == []
        answer = await api.data(
            PORTAL_SEND,
            {"input": {"caseId": portal_case["id"], "body": "Torsdag passar bra."}},
            c.contact["token"],
        )
        assert answer["portalSendMessage"]["userErrors"] == []

        expected = [
            ("Vi kommer på torsdag.", "TO_CUSTOMER", "Erik Johansson"),
            ("Torsdag passar bra.", "FROM_CUSTOMER", "Karin Svensson"),
        ]
        for socket in (staff, portal):
            got = await next_messages(socket, 2)
            assert [(m["body"], m["direction"], m["authorName"]) for m in got] == expected


async def test_an_email_reply_is_pushed_live_and_a_resumed_portal_misses_nothing(api: Api) -> None:
    c = await conversation(api)
    portal_case = await c.portal_case()
    first = (await send(api, c, "Första"))["message"]["id"]
    [mail] = await api.mail.wait_for(c.contact["email"])

    second = (await send(api, c, "Andra"))["message"]["id"]

    async with api.ws(c.staff["token"]) as staff:
        await staff.subscribe_live(
            MESSAGE_ADDED, {"caseId": c.case["id"], "after": first}, replayed={"id": second}
        )
        status, _ = await post(
            api, reply(mail.message["Reply-To"], c.contact["email"], "Svar via e-post")
        )
        assert status == 200
        [pushed] = await next_messages(staff, 1)
        assert (pushed["body"], pushed["direction"]) == ("Svar via e-post", "FROM_CUSTOMER")

    async with api.ws(c.contact["token"]) as portal:
        await portal.subscribe(MESSAGE_ADDED, {"caseId": portal_case["id"], "after": second})
        [replayed] = await next_messages(portal, 1)
        assert replayed["id"] == pushed["id"]


async def test_the_portal_cannot_follow_another_customers_case(api: Api) -> None:
    mine = await conversation(api)
    theirs = await conversation(api)
    their_portal_case = await theirs.portal_case()
    for case_id in [their_portal_case["id"], mine.case["id"]]:  # someone else's, a staff id
        async with api.ws(mine.contact["token"]) as portal:
            operation = await portal.subscribe(MESSAGE_ADDED, {"caseId": case_id})
            message = await portal.receive()
            assert message["id"] == operation
            errors = (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"
