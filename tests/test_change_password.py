"""A user changes their password: the old one stops working, and so does every other token."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import PASSWORD, Api

CHANGE = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  ok userErrors { field code } } }"""
VIEWER = "{ viewer { kind } }"


async def test_changing_the_password_revokes_every_other_token(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    phone = await api.login(member["email"])
    laptop = member["token"]
    data = await api.data(
        CHANGE,
        {"input": {"currentPassword": PASSWORD, "newPassword": "a brand new secret"}},
        laptop,
    )
    assert data["changePassword"] == {"ok": True, "userErrors": []}
    # The token used keeps working; the user's other sessions are signed out.
    assert (await api.data(VIEWER, token=laptop))["viewer"]["kind"] == "STAFF"
    assert await api.error_codes(VIEWER, token=phone) == ["UNAUTHENTICATED"]
    # Other users are untouched.
    assert (await api.data(VIEWER, token=tenant.admin_token))["viewer"]["kind"] == "STAFF"
    old = await api.data(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        {"e": member["email"], "p": PASSWORD},
    )
    assert old["login"]["token"] is None
    assert await api.login(member["email"], "a brand new secret")


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.login(tenant.admin_email)
    data = await api.data(
        CHANGE,
        {"input": {"currentPassword": "not my password", "newPassword": "short"}},
        tenant.admin_token,
    )
    assert data["changePassword"] == {
        "ok": False,
        "userErrors": [
            {"field": ["input", "currentPassword"], "code": "INVALID"},
            {"field": ["input", "newPassword"], "code": "INVALID"},
        ],
    }
    assert (await api.data(VIEWER, token=other))["viewer"]["kind"] == "STAFF"
    assert await api.login(tenant.admin_email, PASSWORD)


async def test_only_a_signed_in_staff_user_may_change_a_password(api: Api) -> None:
    variables = {"input": {"currentPassword": PASSWORD, "newPassword": "whatever it is"}}
    assert await api.error_codes(CHANGE, variables) == ["UNAUTHENTICATED"]


async def test_a_logged_out_token_is_refused_over_websocket_too(api: Api) -> None:
    tenant = await api.new_tenant()
    token = await api.login(tenant.admin_email)
    await api.data("mutation { logout { ok } }", token=token)
    with pytest.raises(ConnectionClosed) as closed:
        async with api.ws(token):
            pass
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


PORTAL_CHANGE = """mutation($input: ChangePasswordInput!) { portalChangePassword(input: $input) {
  ok userErrors { field code } } }"""
PORTAL_LOGIN = """mutation($e: String!, $p: String!) { portalLogin(email: $e, password: $p) {
  token userErrors { code } } }"""


async def test_a_portal_contact_changes_their_own_password(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    laptop = contact["token"]
    phone = (await api.data(PORTAL_LOGIN, {"e": contact["email"], "p": PASSWORD}))["portalLogin"][
        "token"
    ]
    wrong = await api.data(
        PORTAL_CHANGE,
        {"input": {"currentPassword": "inte mitt lösen", "newPassword": "ett nytt portallösen"}},
        laptop,
    )
    assert wrong["portalChangePassword"] == {
        "ok": False,
        "userErrors": [{"field": ["input", "currentPassword"], "code": "INVALID"}],
    }
    assert (await api.data(VIEWER, token=phone))["viewer"]["kind"] == "CONTACT"

    right = await api.data(
        PORTAL_CHANGE,
        {"input": {"currentPassword": PASSWORD, "newPassword": "ett nytt portallösen"}},
        laptop,
    )
    assert right["portalChangePassword"] == {"ok": True, "userErrors": []}
    assert (await api.data(VIEWER, token=laptop))["viewer"]["kind"] == "CONTACT"
    assert await api.error_codes(VIEWER, token=phone) == ["UNAUTHENTICATED"]
    old = await api.data(PORTAL_LOGIN, {"e": contact["email"], "p": PASSWORD})
    assert old["portalLogin"]["token"] is None
    new = await api.data(PORTAL_LOGIN, {"e": contact["email"], "p": "ett nytt portallösen"})
    assert new["portalLogin"]["token"]


async def test_portal_password_guesses_are_throttled(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    guess = {"input": {"currentPassword": "gissning", "newPassword": "ett nytt portallösen"}}
    limit = api.settings.sign_in_failures_per_email
    for _ in range(limit):
        answer = await api.data(PORTAL_CHANGE, guess, contact["token"])
        assert answer["portalChangePassword"]["ok"] is False
    assert await api.error_codes(PORTAL_CHANGE, guess, contact["token"]) == ["RATE_LIMITED"]
    right = {"input": {"currentPassword": PASSWORD, "newPassword": "ett nytt portallösen"}}
    assert await api.error_codes(PORTAL_CHANGE, right, contact["token"]) == ["RATE_LIMITED"]


async def test_only_a_portal_contact_uses_the_portal_password_change(api: Api) -> None:
    tenant = await api.new_tenant()
    variables = {"input": {"currentPassword": PASSWORD, "newPassword": "whatever it is"}}
    assert await api.error_codes(PORTAL_CHANGE, variables) == ["UNAUTHENTICATED"]
    assert await api.error_codes(PORTAL_CHANGE, variables, tenant.admin_token) == ["FORBIDDEN"]
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    # And a contact cannot use the staff one.
    assert await api.error_codes(CHANGE, variables, contact["token"]) == ["FORBIDDEN"]
