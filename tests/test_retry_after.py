"""A throttled sign-in says when to try again in the `Retry-After` header too (seconds)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.support.client import PASSWORD, Api

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token userErrors { code } } }"""
CHANGE = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  ok userErrors { code } } }"""


async def test_throttled_sign_ins_carry_retry_after(api_with: ApiWith) -> None:
    async with api_with(
        sign_in_failures_per_email=2, broadcast_channel_prefix=f"retry-{uuid.uuid4().hex}."
    ) as api:
        tenant = await api.new_tenant()
        login = {"query": LOGIN, "variables": {"e": tenant.admin_email, "p": "wrong"}}
        for _ in range(2):
            wrong = await api.http.post("/graphql", json=login)
            assert wrong.json()["data"]["login"]["userErrors"] == [{"code": "INVALID"}]
            assert "retry-after" not in wrong.headers

        throttled = await api.http.post("/graphql", json=login)
        (error,) = throttled.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < error["extensions"]["retryAfter"] <= 900
        assert throttled.headers["retry-after"] == str(error["extensions"]["retryAfter"])

        # Guessing the current password when changing it is throttled the same way.
        member = await tenant.create_user()
        guess = {"input": {"currentPassword": "wrong", "newPassword": "a brand new secret"}}
        auth = {"Authorization": f"Bearer {member['token']}"}
        change = {"query": CHANGE, "variables": guess}
        for _ in range(2):
            refused = await api.http.post("/graphql", json=change, headers=auth)
            assert refused.json()["data"]["changePassword"]["ok"] is False
            assert "retry-after" not in refused.headers
        throttled = await api.http.post("/graphql", json=change, headers=auth)
        (error,) = throttled.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert throttled.headers["retry-after"] == str(error["extensions"]["retryAfter"])

        # Another account is not throttled, and its answer says nothing about retrying.
        fine = {"query": LOGIN, "variables": {"e": member["email"], "p": PASSWORD}}
        answer = await api.http.post("/graphql", json=fine)
        assert answer.json()["data"]["login"]["token"]
        assert "retry-after" not in answer.headers
