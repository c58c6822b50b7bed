"""The customer portal sees its own customer's visible cases and their conversation, no more."""

from __future__ import annotations

from typing import Any

from graph.ids import pk_of, to_global_id
from tests.support.client import Api, Tenant
from tests.support.introspection import schema_types
from tests.test_customer_conversation import SEND

PORTAL_CASES = "{ portalCases { totalCount edges { node { id number title } } } }"
PORTAL_CASE = "query($id: ID!) { portalCase(id: $id) { id number title statusName createdAt } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
PORTAL_SEND = """mutation($input: PortalSendMessageInput!) { portalSendMessage(input: $input) {
  message { id } userErrors { field code } } }"""


def portal_id(case: dict[str, Any]) -> str:
    # What someone guessing ids would try: the PortalCase id of a case they should not see.
    case_pk = pk_of(case["id"], "Case")
    assert case_pk is not None
    return to_global_id("PortalCase", case_pk)


async def case_of(
    tenant: Tenant,
    title: str,
    customer: dict[str, Any],
    contact: dict[str, Any] | None = None,
    *,
    visible: bool = True,
) -> dict[str, Any]:
    return await tenant.register_case(
        title=title,
        customerId=customer["id"],
        contactId=contact["id"] if contact else None,
        visibleInPortal=visible,
    )


async def test_a_contact_reaches_only_its_customers_visible_cases(api: Api) -> None:
    tenant = await api.new_tenant()
    staff = await tenant.create_user("Erik Johansson")
    solbacken = await tenant.create_customer("Brf Solbacken")
    karin = await tenant.create_portal_contact(solbacken["id"], "Karin Svensson")
    granne = await tenant.create_customer("Brf Grannen")
    per = await tenant.create_portal_contact(granne["id"], "Per Holm")
    mine = await case_of(tenant, "Läckage", solbacken, karin)
    hidden = await case_of(tenant, "Intern utredning", solbacken, karin, visible=False)
    theirs = await case_of(tenant, "Grannens hiss", granne, per)
    elsewhere_tenant = await api.new_tenant("Annan Förvaltning AB")
    elsewhere_customer = await elsewhere_tenant.create_customer("Brf Solbacken")
    elsewhere = await case_of(elsewhere_tenant, "Annans ärende", elsewhere_customer)
    for case in (mine, theirs):
        sent = await api.data(
            SEND, {"input": {"caseId": case["id"], "body": "Hej!"}}, staff["token"]
        )
        case["message"] = sent["sendCustomerMessage"]["message"]["id"]

    listed = await api.data(PORTAL_CASES, token=karin["token"])
    assert listed["portalCases"]["totalCount"] == 1
    [edge] = listed["portalCases"]["edges"]
    assert edge["node"] == {"id": portal_id(mine), "number": mine["number"], "title": "Läckage"}

    own = await api.data(PORTAL_CASE, {"id": portal_id(mine)}, karin["token"])
    assert own["portalCase"]["statusName"] == "Ny"
    for case in (hidden, theirs, elsewhere):
        assert await api.data(PORTAL_CASE, {"id": portal_id(case)}, karin["token"]) == {
            "portalCase": None
        }
        assert await api.data(NODE, {"id": portal_id(case)}, karin["token"]) == {"node": None}
        refused = await api.data(
            PORTAL_SEND, {"input": {"caseId": portal_id(case), "body": "Hej"}}, karin["token"]
        )
        assert refused["portalSendMessage"] == {
            "message": None,
            "userErrors": [{"field": ["input", "caseId"], "code": "NOT_FOUND"}],
        }
    # The staff id of my own case is not a portal id.
    assert await api.data(PORTAL_CASE, {"id": mine["id"]}, karin["token"]) == {"portalCase": None}
    staff_id = await api.data(
        PORTAL_SEND, {"input": {"caseId": mine["id"], "body": "Hej"}}, karin["token"]
    )
    assert staff_id["portalSendMessage"]["userErrors"] == [
        {"field": ["input", "caseId"], "code": "NOT_FOUND"}
    ]

    # node: my PortalCase and its messages; nothing else, not even myself or my customer.
    assert (await api.data(NODE, {"id": portal_id(mine)}, karin["token"]))["node"] == {
        "__typename": "PortalCase",
        "id": portal_id(mine),
    }
    assert (await api.data(NODE, {"id": mine["message"]}, karin["token"]))["node"] == {
        "__typename": "ConversationMessage",
        "id": mine["message"],
    }
    for other in (
        theirs["message"],
        mine["id"],
        karin["id"],
        solbacken["id"],
        staff["id"],
        "not-an-id",
    ):
        assert await api.data(NODE, {"id": other}, karin["token"]) == {"node": None}, other

    # And the other contact sees only their own.
    per_listed = await api.data(PORTAL_CASES, token=per["token"])
    assert [e["node"]["id"] for e in per_listed["portalCases"]["edges"]] == [portal_id(theirs)]


async def test_portal_cases_page_newest_first(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    cases = [await case_of(tenant, f"Ärende {i}", customer, contact) for i in range(3)]
    query = """query($after: String) { portalCases(first: 2, after: $after) {
      edges { node { title } } pageInfo { hasNextPage endCursor } } }"""
    first = (await api.data(query, token=contact["token"]))["portalCases"]
    assert [e["node"]["title"] for e in first["edges"]] == ["Ärende 2", "Ärende 1"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await api.data(query, {"after": first["pageInfo"]["endCursor"]}, contact["token"])
    assert [e["node"]["title"] for e in rest["portalCases"]["edges"]] == ["Ärende 0"]
    assert len(cases) == 3


async def test_staff_have_no_portal_fields(api: Api) -> None:
    tenant = await api.new_tenant()
    assert await api.error_codes(PORTAL_CASES, token=tenant.admin_token) == ["FORBIDDEN"]


def _fields(type_name: str) -> set[str]:
    return {f["name"] for f in schema_types()[type_name]["fields"]}


def test_portal_types_carry_no_internal_field() -> None:
    assert _fields("PortalCase") == {"id", "number", "title", "statusName", "createdAt", "messages"}
    # The portal reads ConversationMessage too (API.md fixes PortalCase.messages' type): its
    # two staff-only fields answer a portal viewer FORBIDDEN (tests/test_inbound_endpoint.py).
    assert _fields("ConversationMessage") == {
        "id",
        "body",
        "direction",
        "createdAt",
        "authorName",
        "deliveryStatus",
        # A message's files are the customer's to see (API.md; tests/test_attachments.py).
        "attachments",
    } | {"senderAddress", "fromUnknownSender"}
