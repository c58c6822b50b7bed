"""An e-mail address taken in another tenant is answered exactly like one taken in one's own,
and only so often: the answers cannot be used to find out who uses the system elsewhere.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.support.client import PASSWORD, Api, Tenant, unique

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

CREATE_USER = """mutation($input: CreateUserInput!) { createUser(input: $input) {
  user { id } userErrors { field message code } } }"""
ENABLE_PORTAL_ACCESS = """mutation($input: EnablePortalAccessInput!) {
  enablePortalAccess(input: $input) { contact { id } userErrors { field message code } } }"""
USER_TAKEN = [
    {
        "field": ["input", "email"],
        "message": "A user with this e-mail already exists.",
        "code": "INVALID",
    }
]
PORTAL_TAKEN = [
    {
        "field": ["input", "contactId"],
        "message": "Another portal login already uses this e-mail address.",
        "code": "INVALID",
    }
]


def new_user(email: str, handle: str | None = None) -> dict[str, Any]:
    return {"input": {"email": email, "name": "Eva Berg", "password": PASSWORD, "handle": handle}}


async def answers(
    api: Api, query: str, variables: list[dict[str, Any]], token: str
) -> list[dict[str, Any]]:
    """What each request got, sent all at once: its payload, or its GraphQL error's code."""

    async def one(v: dict[str, Any]) -> dict[str, Any]:
        body = await api.post(query, v, token)
        if body.get("errors"):
            (error,) = body["errors"]
            return {"error": error["extensions"]["code"], "message": error["message"]}
        payload: dict[str, Any] = next(iter(body["data"].values()))
        return payload

    return list(await asyncio.gather(*(one(v) for v in variables)))


def outcome(answer: dict[str, Any], taken: list[dict[str, Any]]) -> str:
    if "error" in answer:
        return str(answer["error"])
    if answer["userErrors"] == taken:
        return "TAKEN"
    assert answer["userErrors"] == [], answer
    return "DONE"


async def portal_contact(tenant: Tenant, email: str, *, enable: bool) -> dict[str, Any]:
    customer = await tenant.create_customer()
    contact = await tenant.create_contact(customer["id"], email=email)
    if enable:
        await tenant.sign_in_to_portal(contact)
    return contact


async def test_a_user_email_taken_elsewhere_is_answered_like_one_taken_here(api: Api) -> None:
    mine, theirs = await api.new_tenant(), await api.new_tenant("Annan AB")
    here, there = f"{unique('eva')}@example.se", f"{unique('eva')}@example.se"
    # Each with the handle made from the e-mail (which the asking tenant's answer must not show).
    for tenant, email in [(mine, here), (theirs, there)]:
        data = await api.data(CREATE_USER, new_user(email), tenant.admin_token)
        assert data["createUser"]["userErrors"] == []
    answered = []
    for handle in [None, unique("h")]:
        for email in [here, there, f"  {there.upper()} "]:
            async with api.counting_statements() as statements:
                data = await api.data(CREATE_USER, new_user(email, handle), mine.admin_token)
            # The same message, code and field, and the same work (no password hashed).
            answered.append((data["createUser"], statements.count))
    for handle_given in [answered[:3], answered[3:]]:
        assert [a for a, _ in handle_given] == [{"user": None, "userErrors": USER_TAKEN}] * 3
        assert len({count for _, count in handle_given}) == 1, handle_given


async def test_a_portal_email_taken_elsewhere_is_answered_like_one_taken_here(api: Api) -> None:
    mine, theirs = await api.new_tenant(), await api.new_tenant("Annan AB")
    here, there = f"{unique('kund')}@example.se", f"{unique('kund')}@example.se"
    await portal_contact(mine, here, enable=True)
    await portal_contact(theirs, there, enable=True)
    answered = []
    for email in [here, there]:
        contact = await portal_contact(mine, email, enable=False)
        variables = {"input": {"contactId": contact["id"], "password": PASSWORD}}
        async with api.counting_statements() as statements:
            data = await api.data(ENABLE_PORTAL_ACCESS, variables, mine.admin_token)
        answered.append((data["enablePortalAccess"], statements.count))
    assert [a for a, _ in answered] == [{"contact": None, "userErrors": PORTAL_TAKEN}] * 2
    assert answered[0][1] == answered[1][1]


async def test_one_address_claimed_at_once_from_two_tenants_is_answered_as_taken(
    api: Api,
) -> None:
    for _ in range(3):
        tenants = [await api.new_tenant(), await api.new_tenant("Annan AB")]
        email = f"{unique('samma')}@example.se"
        got = await asyncio.gather(
            *(
                answers(
                    api,
                    CREATE_USER,
                    [new_user(email, unique("h")) for _ in range(4)],
                    t.admin_token,
                )
                for t in tenants
            )
        )
        outcomes = Counter(outcome(a, USER_TAKEN) for answered in got for a in answered)
        assert outcomes == {"DONE": 1, "TAKEN": 7}, got

        email = f"{unique('kund')}@example.se"
        requests = []
        for tenant in tenants:
            contacts = [await portal_contact(tenant, email, enable=False) for _ in range(4)]
            variables = [{"input": {"contactId": c["id"], "password": PASSWORD}} for c in contacts]
            requests.append(answers(api, ENABLE_PORTAL_ACCESS, variables, tenant.admin_token))
        got = await asyncio.gather(*requests)
        outcomes = Counter(outcome(a, PORTAL_TAKEN) for answered in got for a in answered)
        assert outcomes == {"DONE": 1, "TAKEN": 7}, got


async def test_taken_user_emails_are_answered_only_so_often(api_with: ApiWith) -> None:
    async with api_with(
        taken_email_answers_per_tenant=6,
        taken_email_answers_per_viewer=4,
        broadcast_channel_prefix=f"taken-{uuid.uuid4().hex}.",
    ) as api:
        mine, theirs, third = [await api.new_tenant(n) for n in ["A AB", "B AB", "C AB"]]
        # New addresses are not counted, however many (while at most the limit are in flight).
        fresh = [new_user(f"{unique('ny')}@example.se", unique("h")) for _ in range(9)]
        for three in [fresh[:3], fresh[3:6], fresh[6:]]:
            got = await answers(api, CREATE_USER, three, mine.admin_token)
            assert Counter(outcome(a, USER_TAKEN) for a in got) == {"DONE": 3}
        second_admin = await mine.create_user(role="ADMIN")
        member = await mine.create_user()

        taken = [await theirs.create_user() for _ in range(3)]
        probes = [new_user(u["email"], unique("h")) for u in taken] * 4
        got = await answers(api, CREATE_USER, probes, mine.admin_token)
        assert Counter(outcome(a, USER_TAKEN) for a in got) == {"TAKEN": 4, "RATE_LIMITED": 8}
        limited = next(a for a in got if "error" in a)
        assert limited["message"].startswith("Too many e-mail addresses in use; try again in")
        # Past the limit a new address is refused too, so the refusal tells nothing.
        got = await answers(api, CREATE_USER, fresh[:1], mine.admin_token)
        assert outcome(got[0], USER_TAKEN) == "RATE_LIMITED"
        # The tenant's other admin has the rest of the tenant's count; a member is not counted.
        got = await answers(api, CREATE_USER, probes[:5], second_admin["token"])
        assert Counter(outcome(a, USER_TAKEN) for a in got) == {"TAKEN": 2, "RATE_LIMITED": 3}
        body = await api.post(CREATE_USER, probes[0], member["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        # Another tenant has its own count.
        got = await answers(api, CREATE_USER, probes[:1], third.admin_token)
        assert outcome(got[0], USER_TAKEN) == "TAKEN"


async def test_taken_portal_emails_are_answered_only_so_often(api_with: ApiWith) -> None:
    async with api_with(
        taken_email_answers_per_tenant=5,
        taken_email_answers_per_viewer=3,
        broadcast_channel_prefix=f"taken-{uuid.uuid4().hex}.",
    ) as api:
        mine, theirs = await api.new_tenant(), await api.new_tenant("Annan AB")
        member = await mine.create_user()
        email = f"{unique('kund')}@example.se"
        await portal_contact(theirs, email, enable=True)
        contacts = [await portal_contact(mine, email, enable=False) for _ in range(4)]
        probes = [{"input": {"contactId": c["id"], "password": PASSWORD}} for c in contacts] * 2
        got = await answers(api, ENABLE_PORTAL_ACCESS, probes, member["token"])
        assert Counter(outcome(a, PORTAL_TAKEN) for a in got) == {"TAKEN": 3, "RATE_LIMITED": 5}
        # Staff share the tenant's count with createUser's answers.
        user = await theirs.create_user()
        got = await answers(api, CREATE_USER, [new_user(user["email"], "x")] * 3, mine.admin_token)
        assert Counter(outcome(a, USER_TAKEN) for a in got) == {"TAKEN": 2, "RATE_LIMITED": 1}
        got = await answers(api, ENABLE_PORTAL_ACCESS, probes[:1], mine.admin_token)
        assert outcome(got[0], PORTAL_TAKEN) == "RATE_LIMITED"
