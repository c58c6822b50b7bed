"""Failed sign-ins are throttled per e-mail and per client address, without telling who exists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.client import PASSWORD, Api, unique

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token userErrors { field message code } } }"""
PORTAL_LOGIN = """mutation($e: String!, $p: String!) { portalLogin(email: $e, password: $p) {
  token userErrors { field message code } } }"""


async def test_failures_per_email_are_throttled_alike_for_known_and_unknown(
    api_with: ApiWith,
) -> None:
    prefix = f"throttle-{uuid.uuid4().hex}."
    async with api_with(
        sign_in_failures_per_email=3,
        sign_in_failures_per_address=100,
        broadcast_channel_prefix=prefix,
    ) as api:
        tenant = await api.new_tenant()
        unknown = f"{unique('nobody')}@example.se"
        answers = {}
        for email in [tenant.admin_email, unknown]:
            for _ in range(3):
                wrong = await api.data(LOGIN, {"e": email, "p": "wrong password"})
                assert wrong["login"]["userErrors"][0]["code"] == "INVALID"
            answers[email] = await api.post(LOGIN, {"e": email, "p": PASSWORD})

        # Throttled, even with the right password, and the same for a stranger (but the clock).
        def shape(body: dict[str, Any]) -> tuple[Any, ...]:
            (error,) = body["errors"]
            return body["data"], error["path"], error["extensions"]["code"]

        assert shape(answers[tenant.admin_email]) == shape(answers[unknown])
        error = answers[unknown]["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < error["extensions"]["retryAfter"] <= 900
        # The e-mail is counted whatever its case or spacing.
        again = await api.post(LOGIN, {"e": f"  {tenant.admin_email.upper()} ", "p": PASSWORD})
        assert again["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # Another account from the same address is not affected.
        member = await tenant.create_user()
        assert member["token"]


async def test_a_right_password_clears_the_email_count(api_with: ApiWith) -> None:
    prefix = f"throttle-{uuid.uuid4().hex}."
    async with api_with(
        sign_in_failures_per_email=3,
        sign_in_failures_per_address=100,
        broadcast_channel_prefix=prefix,
    ) as api:
        tenant = await api.new_tenant()
        for _ in range(2):
            await api.data(LOGIN, {"e": tenant.admin_email, "p": "wrong password"})
        assert await api.login(tenant.admin_email)
        for _ in range(2):
            await api.data(LOGIN, {"e": tenant.admin_email, "p": "wrong password"})
        assert await api.login(tenant.admin_email)


async def test_failures_per_address_are_throttled(api_with: ApiWith) -> None:
    prefix = f"throttle-{uuid.uuid4().hex}."
    async with api_with(
        sign_in_failures_per_email=100,
        sign_in_failures_per_address=4,
        broadcast_channel_prefix=prefix,
    ) as api:
        tenant = await api.new_tenant()
        for i in range(4):
            await api.data(
                PORTAL_LOGIN, {"e": f"guess{i}-{unique('x')}@example.se", "p": "nope nope"}
            )
        # Staff and portal sign-in share the address's count.
        body = await api.post(LOGIN, {"e": tenant.admin_email, "p": PASSWORD})
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert body["data"] is None
