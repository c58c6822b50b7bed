"""Failed sign-ins are throttled per e-mail and per client address, without telling who exists."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import update

from db import models
from tests.support.client import PASSWORD, Api, unique

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


# Production-strength Argon2: a check takes long enough that a burst's requests have all
# reached the server before the first check is done, as they would for an attacker.
SLOW_HASHES = PasswordHasher()
WRONG = "wrong password"
CHANGE_PASSWORD = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  ok userErrors { field code } } }"""


async def slow_password(api: Api, *, user_email: str = "", contact_email: str = "") -> None:
    """Set-up: the account's password hashed at production cost."""
    slow = SLOW_HASHES.hash(PASSWORD)
    async with api.db.transaction(None) as session:
        if user_email:
            await session.execute(
                update(models.User)
                .where(models.User.email == user_email)
                .values(password_hash=slow)
            )
        if contact_email:
            await session.execute(
                update(models.Contact)
                .where(models.Contact.portal_email == contact_email)
                .values(portal_password_hash=slow)
            )


def answer(body: dict[str, Any], field: str) -> str:
    """TOKEN, INVALID or RATE_LIMITED: what one sign-in attempt got."""
    if body.get("errors"):
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED", body
        assert error["extensions"]["retryAfter"] > 0
        return "RATE_LIMITED"
    payload = body["data"][field]
    if payload.get("token") or payload.get("ok"):
        return "TOKEN"
    (error,) = payload["userErrors"]
    assert error["code"] == "INVALID", body
    return "INVALID"


async def burst(
    apis: list[Api], query: str, variables: list[dict[str, Any]], field: str, token: str = ""
) -> Counter[str]:
    """All the attempts at once, spread over the servers; what they got, counted."""
    bodies = await asyncio.gather(
        *(apis[i % len(apis)].post(query, v, token or None) for i, v in enumerate(variables))
    )
    return Counter(answer(body, field) for body in bodies)


def guesses(email: str, right_at: int, count: int = 20) -> list[dict[str, Any]]:
    passwords = [WRONG] * (count - 1)
    passwords.insert(right_at, PASSWORD)
    return [{"e": email, "p": p} for p in passwords]


def assert_at_most_limit_checked(
    got: Counter[str], limit: int, total: int = 20, *, right_clears: bool = True
) -> None:
    assert sum(got.values()) == total and got["TOKEN"] <= 1, got
    if not got["TOKEN"]:
        # The right password came too late: only the first `limit` guesses were checked.
        assert got == {"INVALID": limit, "RATE_LIMITED": total - limit}, got
    elif right_clears:
        # It was among the first `limit` and cleared the count, as a sign-in does: the
        # guesses still in flight are answered, and the count starts again after it.
        assert got["INVALID"] <= 2 * limit - 1, got
    else:
        # The right one gives its place back, and no more.
        assert got["INVALID"] <= limit, got


async def test_concurrent_guesses_at_one_email_get_no_more_checks_than_the_limit(
    api_with: ApiWith,
) -> None:
    for right_at in [0, 19, random.randrange(20)]:
        async with api_with(
            sign_in_failures_per_email=5,
            sign_in_failures_per_address=1000,
            broadcast_channel_prefix=f"throttle-{uuid.uuid4().hex}.",
        ) as api:
            tenant = await api.new_tenant()
            await slow_password(api, user_email=tenant.admin_email)
            got = await burst([api], LOGIN, guesses(tenant.admin_email, right_at), "login")
            assert_at_most_limit_checked(got, 5)
            if not got["TOKEN"]:
                # The guesses used up the count: the right password waits like any other.
                late = await api.post(LOGIN, {"e": tenant.admin_email, "p": PASSWORD})
                assert answer(late, "login") == "RATE_LIMITED"


async def test_concurrent_portal_guesses_get_no_more_checks_than_the_limit(
    api_with: ApiWith,
) -> None:
    async with api_with(
        sign_in_failures_per_email=4,
        sign_in_failures_per_address=1000,
        broadcast_channel_prefix=f"throttle-{uuid.uuid4().hex}.",
    ) as api:
        tenant = await api.new_tenant()
        customer = await tenant.create_customer()
        contact = await tenant.create_portal_contact(customer["id"])
        await slow_password(api, contact_email=contact["email"])
        right_at = random.randrange(20)
        got = await burst([api], PORTAL_LOGIN, guesses(contact["email"], right_at), "portalLogin")
        assert_at_most_limit_checked(got, 4)
        # Unknown e-mails are throttled the same way, in every case and spacing.
        stranger = f"{unique('nobody')}@example.se"
        shapes = [f" {stranger.upper()}", stranger, f"{stranger}  "] * 6
        got = await burst(
            [api], PORTAL_LOGIN, [{"e": e, "p": WRONG} for e in shapes], "portalLogin"
        )
        assert got == {"INVALID": 4, "RATE_LIMITED": 14}


async def test_concurrent_guesses_from_one_address_get_no_more_checks_than_the_limit(
    api_with: ApiWith,
) -> None:
    async with api_with(
        sign_in_failures_per_email=100,
        sign_in_failures_per_address=6,
        broadcast_channel_prefix=f"throttle-{uuid.uuid4().hex}.",
    ) as api:
        tenant = await api.new_tenant()
        others = [{"e": f"{unique('guess')}@example.se", "p": WRONG} for _ in range(20)]
        # Staff and portal sign-in share the address's count.
        logins, portal_logins = others[:10], others[10:]
        got = Counter[str]()
        for counted in await asyncio.gather(
            burst([api], LOGIN, logins, "login"),
            burst([api], PORTAL_LOGIN, portal_logins, "portalLogin"),
        ):
            got += counted
        assert got == {"INVALID": 6, "RATE_LIMITED": 14}
        late = await api.post(LOGIN, {"e": tenant.admin_email, "p": PASSWORD})
        assert answer(late, "login") == "RATE_LIMITED"


async def test_a_refused_attempt_reserves_nothing(api_with: ApiWith) -> None:
    async with api_with(
        sign_in_failures_per_email=2,
        sign_in_failures_per_address=5,
        broadcast_channel_prefix=f"throttle-{uuid.uuid4().hex}.",
    ) as api:
        tenant = await api.new_tenant()
        got = await burst([api], LOGIN, [{"e": tenant.admin_email, "p": WRONG}] * 12, "login")
        assert got == {"INVALID": 2, "RATE_LIMITED": 10}
        # The ten refused attempts did not count against the address: three more checks.
        others = [{"e": f"{unique('guess')}@example.se", "p": WRONG} for _ in range(6)]
        got = await burst([api], LOGIN, others, "login")
        assert got == {"INVALID": 3, "RATE_LIMITED": 3}


async def test_concurrent_guesses_at_the_current_password_get_no_more_checks_than_the_limit(
    api_with: ApiWith,
) -> None:
    async with api_with(
        sign_in_failures_per_email=5,
        sign_in_failures_per_address=1000,
        broadcast_channel_prefix=f"throttle-{uuid.uuid4().hex}.",
    ) as api:
        tenant = await api.new_tenant()
        member = await tenant.create_user()
        await slow_password(api, user_email=member["email"])
        attempts = [
            {"input": {"currentPassword": g["p"], "newPassword": "a new long secret"}}
            for g in guesses(member["email"], random.randrange(20))
        ]
        got = await burst([api], CHANGE_PASSWORD, attempts, "changePassword", member["token"])
        assert_at_most_limit_checked(got, 5, right_clears=False)


async def test_instances_sharing_redis_share_the_count(api_with: ApiWith, api: Api) -> None:
    limits = {
        "sign_in_failures_per_email": 5,
        "sign_in_failures_per_address": 1000,
        "broadcast_channel_prefix": f"throttle-{uuid.uuid4().hex}.",
    }
    if api.backend != "postgres":
        # memory://: each instance keeps its own count, by design (docs/security.md).
        async with api_with(**limits) as first, api_with(**limits) as second:
            tenant = await first.new_tenant()
            wrong = {"e": tenant.admin_email, "p": WRONG}
            for _ in range(5):
                answer = await first.data(LOGIN, wrong)
                assert answer["login"]["userErrors"][0]["code"] == "INVALID"
            assert await first.error_codes(LOGIN, wrong) == ["RATE_LIMITED"]
            answer = await second.data(LOGIN, wrong)
            assert answer["login"]["userErrors"][0]["code"] == "INVALID"
        return
    async with api_with(**limits) as first, api_with(**limits) as second:
        tenant = await first.new_tenant()
        await slow_password(first, user_email=tenant.admin_email)
        right_at = random.randrange(20)
        variables = guesses(tenant.admin_email, right_at)
        got = await burst([first, second], LOGIN, variables, "login")
        assert_at_most_limit_checked(got, 5)
        # And the address's count, for different e-mails.
        others = [{"e": f"{unique('guess')}@example.se", "p": WRONG} for _ in range(12)]
        limits.update(sign_in_failures_per_address=4, sign_in_failures_per_email=100)
        limits["broadcast_channel_prefix"] = f"throttle-{uuid.uuid4().hex}."
        async with api_with(**limits) as third, api_with(**limits) as fourth:
            got = await burst([third, fourth], LOGIN, others, "login")
            assert got == {"INVALID": 4, "RATE_LIMITED": 8}
