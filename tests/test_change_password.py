"""A user changes their password: the old one stops working, and so does every other token."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.client import PASSWORD, Api

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
