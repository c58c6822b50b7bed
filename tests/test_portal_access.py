"""Staff take a contact's portal access away: sign-in refused, every session ended at once."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import PASSWORD, Api, GraphQLSocket
from tests.test_conversation_live import MESSAGE_ADDED, portal_says
from tests.test_customer_conversation import conversation

DISABLE = """mutation($input: DisablePortalAccessInput!) { disablePortalAccess(input: $input) {
  contact { id name portalAccess } userErrors { field message code } } }"""
PORTAL_LOGIN = """mutation($e: String!, $p: String!) { portalLogin(email: $e, password: $p) {
  token userErrors { field code } } }"""
CONTACT = """query($id: ID!) { node(id: $id) { ... on Contact { portalAccess } } }"""


async def close_code(socket: GraphQLSocket) -> int | None:
    """How the server closes the socket; nothing may arrive for its operations meanwhile."""
    try:
        while True:
            message = await socket.receive(timeout=5)
            assert message["type"] not in ("next", "complete"), message
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def _open_socket(api: Api, token: str) -> None:
    async with api.ws(token):
        pass


async def test_disabling_ends_sign_in_sessions_and_live_conversations(api: Api) -> None:
    c = await conversation(api)
    portal_case = await c.portal_case()
    older = await portal_says(api, c, portal_case["id"], "Hej!")
    newer = await portal_says(api, c, portal_case["id"], "Är ni där?")
    async with api.ws(c.contact["token"]) as portal:
        await portal.subscribe_live(
            MESSAGE_ADDED, {"caseId": portal_case["id"], "after": older}, replayed={"id": newer}
        )
        # Any staff user may do it, not only an administrator.
        data = await api.data(DISABLE, {"input": {"contactId": c.contact["id"]}}, c.staff["token"])
        answer = data["disablePortalAccess"]
        assert answer["userErrors"] == []
        assert answer["contact"] == {
            "id": c.contact["id"],
            "name": "Karin Svensson",
            "portalAccess": False,
        }
        assert await close_code(portal) == 4403

    assert await api.error_codes("{ viewer { kind } }", token=c.contact["token"]) == [
        "UNAUTHENTICATED"
    ]
    login = await api.data(PORTAL_LOGIN, {"e": c.contact["email"], "p": PASSWORD})
    assert login["portalLogin"] == {
        "token": None,
        "userErrors": [{"field": ["email"], "code": "INVALID"}],
    }
    read = await api.data(CONTACT, {"id": c.contact["id"]}, c.staff["token"])
    assert read["node"] == {"portalAccess": False}
    # A socket opened with the old token afterwards is refused too.
    with pytest.raises(ConnectionClosed) as refused:
        await _open_socket(api, c.contact["token"])
    assert refused.value.rcvd is not None
    assert refused.value.rcvd.code == 4403


async def test_disabling_twice_is_fine_and_access_can_be_given_again(api: Api) -> None:
    c = await conversation(api)
    for _ in range(2):
        data = await api.data(DISABLE, {"input": {"contactId": c.contact["id"]}}, c.staff["token"])
        assert data["disablePortalAccess"]["userErrors"] == []
        assert data["disablePortalAccess"]["contact"]["portalAccess"] is False
    token = await c.tenant.sign_in_to_portal(c.contact)
    assert (await api.data("{ viewer { kind } }", token=token))["viewer"] == {"kind": "CONTACT"}


async def test_another_tenants_contact_is_not_found_and_keeps_access(api: Api) -> None:
    ours = await conversation(api)
    theirs = await conversation(api)
    data = await api.data(
        DISABLE, {"input": {"contactId": theirs.contact["id"]}}, ours.tenant.admin_token
    )
    assert data["disablePortalAccess"] == {
        "contact": None,
        "userErrors": [
            {
                "field": ["input", "contactId"],
                "message": "The contact was not found.",
                "code": "NOT_FOUND",
            }
        ],
    }
    for wrong in ["Q29udGFjdDox", ours.customer["id"], "not an id"]:
        data = await api.data(DISABLE, {"input": {"contactId": wrong}}, ours.tenant.admin_token)
        assert [e["code"] for e in data["disablePortalAccess"]["userErrors"]] == ["NOT_FOUND"]
    viewer = await api.data("{ viewer { kind } }", token=theirs.contact["token"])
    assert viewer["viewer"] == {"kind": "CONTACT"}


async def test_only_staff_may_disable_portal_access(api: Api) -> None:
    c = await conversation(api)
    variables = {"input": {"contactId": c.contact["id"]}}
    assert await api.error_codes(DISABLE, variables, c.contact["token"]) == ["FORBIDDEN"]
    assert await api.error_codes(DISABLE, variables) == ["UNAUTHENTICATED"]
    viewer = await api.data("{ viewer { kind } }", token=c.contact["token"])
    assert viewer["viewer"] == {"kind": "CONTACT"}
