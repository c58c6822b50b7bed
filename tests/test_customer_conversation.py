"""Talking to the customer on a case: e-mail out with a reply address, portal and e-mail in."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from db.models import Case, OutboxMessage
from graph.ids import pk_of
from tests.support.client import Api, Tenant, eventually, unique
from tests.support.mail_server import REFUSED_DOMAIN

SEND = """mutation($input: SendCustomerMessageInput!) { sendCustomerMessage(input: $input) {
  message { id body direction authorName deliveryStatus createdAt } userErrors { field message code } } }"""
PORTAL_SEND = """mutation($input: PortalSendMessageInput!) { portalSendMessage(input: $input) {
  message { id body direction authorName deliveryStatus } userErrors { field message code } } }"""
PORTAL_CASES = """{ portalCases { edges { node { id number title statusName
  messages { totalCount edges { node { id body direction authorName deliveryStatus } } } } } } }"""
CASE_MESSAGES = """query($id: ID!) { case(id: $id) {
  messages { totalCount edges { node { id body direction authorName deliveryStatus } } }
  events { edges { node { action actorName } } } } }"""
MESSAGE = "query($id: ID!) { node(id: $id) { ... on ConversationMessage { id deliveryStatus } } }"
NOTIFICATIONS = """{ viewer { notifications { edges { node {
  kind case { id } message { id body } } } } } }"""


@dataclass
class Conversation:
    tenant: Tenant
    staff: dict[str, Any]
    customer: dict[str, Any]
    contact: dict[str, Any]
    case: dict[str, Any]

    @property
    def case_pk(self) -> int:
        found = pk_of(self.case["id"], "Case")
        assert found is not None
        return found

    async def portal_case(self) -> dict[str, Any]:
        data = await self.tenant.api.data(PORTAL_CASES, token=self.contact["token"])
        [edge] = data["portalCases"]["edges"]
        node: dict[str, Any] = edge["node"]
        return node

    async def staff_view(self) -> dict[str, Any]:
        data = await self.tenant.api.data(
            CASE_MESSAGES, {"id": self.case["id"]}, self.staff["token"]
        )
        case: dict[str, Any] = data["case"]
        return case


async def conversation(
    api: Api, *, responsible: bool = True, email: str | None = "", visible: bool = True
) -> Conversation:
    """A case of Karin's at Brf Solbacken, Erik responsible; `email=None`: Karin has none."""
    tenant = await api.new_tenant()
    staff = await tenant.create_user("Erik Johansson")
    customer = await tenant.create_customer("Brf Solbacken")
    if email is None:
        contact = await tenant.create_contact(customer["id"], "Karin Svensson")
    else:
        contact = await tenant.create_portal_contact(
            customer["id"], "Karin Svensson", email=email or None
        )
    case = await tenant.register_case(
        staff["token"],
        title="Läckande element i trapphuset",
        customerId=customer["id"],
        contactId=contact["id"],
        visibleInPortal=visible,
        **({"responsibleId": staff["id"]} if responsible else {}),
    )
    return Conversation(tenant, staff, customer, contact, case)


async def send(api: Api, c: Conversation, body: str = "Hej Karin! Vi kommer på torsdag.") -> Any:
    data = await api.data(SEND, {"input": {"caseId": c.case["id"], "body": body}}, c.staff["token"])
    return data["sendCustomerMessage"]


async def reply_token(api: Api, case_pk: int) -> str | None:
    async with api.db.session(None) as session:
        token: str | None = await session.scalar(select(Case.reply_token).where(Case.id == case_pk))
        return token


async def customer_messages_notified(api: Api, token: str) -> list[dict[str, Any]]:
    """The CUSTOMER_MESSAGE notifications in a staff user's lobby."""
    data = await api.data(NOTIFICATIONS, token=token)
    nodes = [e["node"] for e in data["viewer"]["notifications"]["edges"]]
    return [n for n in nodes if n["kind"] == "CUSTOMER_MESSAGE"]


async def test_a_message_to_the_customer_is_emailed_with_a_reply_address(api: Api) -> None:
    c = await conversation(api)
    sent = await send(api, c)
    assert sent["userErrors"] == []
    message = sent["message"]
    assert message["direction"] == "TO_CUSTOMER"
    assert message["authorName"] == "Erik Johansson"
    assert message["body"] == "Hej Karin! Vi kommer på torsdag."

    [mail] = await api.mail.wait_for(c.contact["email"])
    token = await reply_token(api, c.case_pk)
    assert token is not None and len(token) == 32
    assert mail.envelope_to == [c.contact["email"]]
    assert mail.message["To"] == c.contact["email"]
    assert mail.message["Subject"] == f"Ärende #{c.case['number']}: Läckande element i trapphuset"
    assert mail.message["Reply-To"] == f"reply+{token}@inbound.workcloud.test"
    assert "X-WorkCloud-Reply-Token" not in mail.message
    assert "Hej Karin! Vi kommer på torsdag." in mail.text

    async def delivered() -> bool:
        data = await api.data(MESSAGE, {"id": message["id"]}, c.staff["token"])
        return bool(data["node"]["deliveryStatus"] == "SENT")

    await eventually(delivered, what="deliveryStatus SENT")
    shown = {
        "id": message["id"],
        "body": "Hej Karin! Vi kommer på torsdag.",
        "direction": "TO_CUSTOMER",
        "authorName": "Erik Johansson",
        "deliveryStatus": "SENT",
    }
    # On the case, and in the portal.
    staff_view = await c.staff_view()
    assert staff_view["messages"]["edges"] == [{"node": shown}]
    portal_case = await c.portal_case()
    assert portal_case["number"] == c.case["number"]
    assert portal_case["statusName"] == "Ny"
    assert portal_case["messages"]["edges"] == [{"node": shown}]

    # The second message reuses the case's reply address; the log shows both.
    await send(api, c, "Vi är på plats kl 9.")
    mails = await api.mail.wait_for(c.contact["email"], count=2)
    assert {m.message["Reply-To"] for m in mails} == {f"reply+{token}@inbound.workcloud.test"}
    assert mails[0].message["References"] == mails[1].message["References"]
    events = [e["node"] for e in (await c.staff_view())["events"]["edges"]]
    assert [e for e in events if e["action"] == "CUSTOMER_MESSAGE_SENT"] == [
        {"action": "CUSTOMER_MESSAGE_SENT", "actorName": "Erik Johansson"}
    ] * 2


async def test_refused_messages_say_why_and_write_nothing(api: Api) -> None:
    hidden = await conversation(api, visible=False)
    data = await send(api, hidden)
    assert data["message"] is None
    assert data["userErrors"] == [
        {
            "field": ["input", "caseId"],
            "message": "The case is not visible in the customer portal; make it visible to "
            "write to the customer.",
            "code": "NOT_ALLOWED",
        }
    ]

    no_email = await conversation(api, email=None)
    data = await send(api, no_email)
    assert data["userErrors"] == [
        {
            "field": ["input", "caseId"],
            "message": "An e-mail address on the case's contact is required.",
            "code": "REQUIRED",
        }
    ]

    off = await conversation(api)
    portal_id = (await off.portal_case())["id"]
    await off.tenant.update_settings(tabs={"customerConversations": False})
    data = await send(api, off)
    assert data["userErrors"] == [
        {
            "field": ["input"],
            "message": "Customer conversations are turned off in the case-module settings.",
            "code": "DISABLED",
        }
    ]
    portal = await api.data(
        PORTAL_SEND, {"input": {"caseId": portal_id, "body": "Hallå?"}}, off.contact["token"]
    )
    assert portal["portalSendMessage"]["userErrors"][0]["code"] == "DISABLED"
    assert await api.error_codes(CASE_MESSAGES, {"id": off.case["id"]}, off.staff["token"]) == [
        "FORBIDDEN"
    ]
    assert await api.error_codes(PORTAL_CASES, token=off.contact["token"]) == ["FORBIDDEN"]

    internal = await conversation(api)
    internal_case = await internal.tenant.register_case(title="Internt", visibleInPortal=True)
    data = await api.data(
        SEND, {"input": {"caseId": internal_case["id"], "body": "x"}}, internal.staff["token"]
    )
    assert data["sendCustomerMessage"]["userErrors"] == [
        {
            "field": ["input", "caseId"],
            "message": "A customer on the case is required.",
            "code": "REQUIRED",
        }
    ]
    empty = await api.data(
        SEND, {"input": {"caseId": internal.case["id"], "body": "  "}}, internal.staff["token"]
    )
    assert empty["sendCustomerMessage"]["userErrors"] == [
        {"field": ["input", "body"], "message": "The message is required.", "code": "REQUIRED"}
    ]
    # Another tenant's case is one that does not exist.
    foreign = await api.data(
        SEND, {"input": {"caseId": internal.case["id"], "body": "Hej"}}, hidden.staff["token"]
    )
    assert foreign["sendCustomerMessage"]["userErrors"][0]["code"] == "NOT_FOUND"

    await off.tenant.update_settings(tabs={"customerConversations": True})
    for c in (hidden, no_email, off, internal):
        assert (await c.staff_view())["messages"]["totalCount"] == 0
    async with api.db.session(None) as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.tenant_id.in_([c.tenant.pk for c in (hidden, no_email, off)]))
        )
        assert queued == 0


async def test_undeliverable_mail_shows_as_failed(api: Api) -> None:
    c = await conversation(api, email=f"{unique('borta')}@{REFUSED_DOMAIN}")
    message = (await send(api, c))["message"]

    async def failed() -> bool:
        data = await api.data(MESSAGE, {"id": message["id"]}, c.staff["token"])
        return bool(data["node"]["deliveryStatus"] == "FAILED")

    await eventually(failed, what="deliveryStatus FAILED")


async def test_a_portal_message_notifies_the_responsible_and_is_logged(api: Api) -> None:
    c = await conversation(api)
    bystander = await c.tenant.create_user("Sara Lind")
    portal_case = await c.portal_case()
    data = await api.data(
        PORTAL_SEND,
        {"input": {"caseId": portal_case["id"], "body": "Det läcker fortfarande."}},
        c.contact["token"],
    )
    result = data["portalSendMessage"]
    assert result["userErrors"] == []
    message = result["message"]
    assert message == {
        "id": message["id"],
        "body": "Det läcker fortfarande.",
        "direction": "FROM_CUSTOMER",
        "authorName": "Karin Svensson",
        "deliveryStatus": "RECEIVED",
    }
    assert await customer_messages_notified(api, c.staff["token"]) == [
        {
            "kind": "CUSTOMER_MESSAGE",
            "case": {"id": c.case["id"]},
            "message": {"id": message["id"], "body": "Det läcker fortfarande."},
        }
    ]
    assert await customer_messages_notified(api, bystander["token"]) == []
    staff_view = await c.staff_view()
    assert [e["node"]["id"] for e in staff_view["messages"]["edges"]] == [message["id"]]
    events = [e["node"] for e in staff_view["events"]["edges"]]
    assert {"action": "CUSTOMER_MESSAGE_RECEIVED", "actorName": "Karin Svensson"} in events


async def test_without_a_responsible_the_assignees_and_group_members_are_notified(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    anna = await tenant.create_user("Anna Berg")
    olle = await tenant.create_user("Olle Ek")
    sara = await tenant.create_user("Sara Lind")  # neither assigned nor in the group
    group = await tenant.create_group("Jour", [anna["id"], olle["id"]])
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    await tenant.register_case(
        customerId=customer["id"],
        contactId=contact["id"],
        visibleInPortal=True,
        assignedUserIds=[anna["id"]],
        assignedGroupIds=[group["id"]],
    )
    portal_cases = await api.data(PORTAL_CASES, token=contact["token"])
    portal_id = portal_cases["portalCases"]["edges"][0]["node"]["id"]
    data = await api.data(
        PORTAL_SEND, {"input": {"caseId": portal_id, "body": "Hej!"}}, contact["token"]
    )
    message_id = data["portalSendMessage"]["message"]["id"]
    for person in (anna, olle):
        [notified] = await customer_messages_notified(api, person["token"])
        assert notified["message"]["id"] == message_id
    assert await customer_messages_notified(api, sara["token"]) == []


async def test_two_first_messages_at_once_share_one_reply_address(api: Api) -> None:
    c = await conversation(api)
    sent = await asyncio.gather(*(send(api, c, f"Meddelande {i}") for i in range(3)))
    assert all(s["userErrors"] == [] for s in sent)
    mails = await api.mail.wait_for(c.contact["email"], count=3)
    token = await reply_token(api, c.case_pk)
    assert {m.message["Reply-To"] for m in mails} == {f"reply+{token}@inbound.workcloud.test"}


async def _subjects(api: Api, tenant_pk: int) -> list[str]:
    async with api.db.session(None) as session:
        rows = await session.scalars(
            select(OutboxMessage.subject)
            .where(OutboxMessage.tenant_id == tenant_pk, OutboxMessage.channel == "EMAIL")
            .order_by(OutboxMessage.id)
        )
        return [s or "" for s in rows]


async def test_mail_about_a_case_with_the_longest_title_is_sent_with_its_subject_cut(
    api: Api,
) -> None:
    c = await conversation(api)
    customer, contact = c.customer["id"], c.contact["id"]
    mentioned = await c.tenant.create_user("Sara Nilsson", handle=unique("sara"))
    for length in (489, 495, 500):
        title = "Läckage " + "å" * (length - len("Läckage ") - 1) + "!"
        assert len(title) == length
        registered = await api.data(
            """mutation($input: RegisterCaseInput!) { registerCase(input: $input) {
                 case { id title } userErrors { field code } } }""",
            {
                "input": {
                    "title": title,
                    "customerId": customer,
                    "contactId": contact,
                    "visibleInPortal": True,
                    "sendConfirmation": True,
                }
            },
            c.staff["token"],
        )
        assert registered["registerCase"]["userErrors"] == []
        case = registered["registerCase"]["case"]
        assert case["title"] == title
        sent = await api.data(
            SEND, {"input": {"caseId": case["id"], "body": "Hej!"}}, c.staff["token"]
        )
        assert sent["sendCustomerMessage"]["userErrors"] == []
        commented = await api.data(
            """mutation($input: AddCommentInput!) { addComment(input: $input) {
                 comment { id } userErrors { code } } }""",
            {"input": {"caseId": case["id"], "body": f"@{mentioned['handle']} titta"}},
            c.staff["token"],
        )
        assert commented["addComment"]["userErrors"] == []

    subjects = await _subjects(api, c.tenant.pk)
    assert len(subjects) == 9
    for subject in subjects:
        assert len(subject) <= 500, subject
        assert subject.endswith("!") or (len(subject) == 500 and subject.endswith("å…"))
    mails = await api.mail.wait_for(c.contact["email"], count=6)
    assert {m.message["Subject"] for m in mails} <= set(subjects)
    # The longest titles' subjects are cut; the mail still says which case it is about.
    assert any(s.endswith("å…") for s in subjects)
    assert all(s.startswith(("Ärende", "Erik")) for s in subjects)
