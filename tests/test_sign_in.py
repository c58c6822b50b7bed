"""Signing in and out as staff and as a portal contact, over HTTP and WebSocket."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import PASSWORD, Api

VIEWER = "{ viewer { kind user { id email role handle } contact { id name } } }"
LOGIN = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) {
    token viewer { kind user { email } } userErrors { field message code }
  }
}"""


async def test_admin_signs_in_and_sees_itself(api: Api) -> None:
    tenant = await api.new_tenant()
    data = await api.data(LOGIN, {"e": tenant.admin_email.upper(), "p": PASSWORD})
    assert data["login"]["userErrors"] == []
    assert data["login"]["viewer"] == {"kind": "STAFF", "user": {"email": tenant.admin_email}}
    token = data["login"]["token"]
    viewer = (await api.data(VIEWER, token=token))["viewer"]
    assert viewer["kind"] == "STAFF"
    assert viewer["user"]["role"] == "ADMIN"
    assert viewer["user"]["email"] == tenant.admin_email
    assert viewer["contact"] is None


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    tenant = await api.new_tenant()
    wrong_password = await api.data(LOGIN, {"e": tenant.admin_email, "p": "not it at all"})
    unknown_email = await api.data(LOGIN, {"e": "nobody@example.se", "p": PASSWORD})
    assert wrong_password == unknown_email
    assert wrong_password["login"]["token"] is None
    assert wrong_password["login"]["userErrors"][0]["code"] == "INVALID"


async def test_without_a_token_only_sign_in_is_reachable(api: Api) -> None:
    assert await api.error_codes(VIEWER) == ["UNAUTHENTICATED"]
    assert await api.error_codes(VIEWER, token="made-up-token") == ["UNAUTHENTICATED"]
    assert await api.error_codes("{ users { totalCount } }") == ["UNAUTHENTICATED"]


async def test_logout_revokes_the_token(api: Api) -> None:
    tenant = await api.new_tenant()
    token = await api.login(tenant.admin_email)
    data = await api.data("mutation { logout { ok userErrors { code } } }", token=token)
    assert data["logout"] == {"ok": True, "userErrors": []}
    assert await api.error_codes(VIEWER, token=token) == ["UNAUTHENTICATED"]
    # Other tokens of the same user still work.
    assert (await api.data(VIEWER, token=tenant.admin_token))["viewer"]["kind"] == "STAFF"


async def test_viewer_over_websocket(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        payload = await socket.execute(VIEWER)
    assert payload["data"]["viewer"]["user"]["email"] == tenant.admin_email


@pytest.mark.parametrize("token", [None, "made-up-token"])
async def test_websocket_without_a_valid_token_is_closed_with_4403(
    api: Api, token: str | None
) -> None:
    with pytest.raises(ConnectionClosed) as closed:
        async with api.ws(token):
            pass
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
