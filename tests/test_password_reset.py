"""A forgotten password: a single-use link by e-mail, answered alike for every address."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from db import models
from graph.resolvers.password_reset import ANSWER_AFTER_SECONDS
from tests.support.client import PASSWORD, Api, unique
from tests.test_conversation_live import MESSAGE_ADDED, portal_says
from tests.test_customer_conversation import conversation
from tests.test_portal_access import DISABLE, PORTAL_LOGIN, close_code

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

REQUEST = """mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) {
  userErrors { field message code } } }"""
RESET = """mutation($input: ResetPasswordInput!) { resetPassword(input: $input) {
  ok userErrors { field message code } } }"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token userErrors { field code } } }"""
NEW_PASSWORD = "ett alldeles nytt lösenord"
BAD_TOKEN = {
    "ok": False,
    "userErrors": [
        {
            "field": ["input", "token"],
            "message": "The link is not valid any more: ask for a new one.",
            "code": "INVALID",
        }
    ],
}


async def request_reset(api: Api, email: str, *, portal: bool | None = None) -> dict[str, Any]:
    given: dict[str, Any] = {"email": email}
    if portal is not None:
        given["portal"] = portal
    return await api.post(REQUEST, {"input": given})


async def reset(api: Api, token: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    data = await api.data(RESET, {"input": {"token": token, "newPassword": password}})
    answer: dict[str, Any] = data["resetPassword"]
    return answer


async def mailed_link(api: Api, email: str, count: int = 1) -> str:
    """The reset link in the `count`th mail to `email`, read from the SMTP server."""
    mail = (await api.mail.wait_for(email, count))[count - 1]
    assert mail.message["Subject"] == "Återställ ditt lösenord"
    found = re.search(r"^http\S+$", mail.text, re.MULTILINE)
    assert found, mail.text
    return found.group(0)


def token_of(link: str) -> str:
    found = re.fullmatch(r".*\?token=([A-Za-z0-9_-]+)", link)
    assert found, link
    return found.group(1)


async def outbox_rows_to(api: Api, email: str) -> int:
    async with api.db.session(None) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(models.OutboxMessage)
            .where(models.OutboxMessage.recipient == email.lower())
        )
    return int(count or 0)


async def test_a_staff_user_resets_by_mail_and_every_session_ends(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    email = erik["email"]
    assert await request_reset(api, f"  {email.upper()} ") == {
        "data": {"requestPasswordReset": {"userErrors": []}}
    }
    link = await mailed_link(api, email)
    assert link.startswith(f"{api.settings.public_url}/reset-password?token=")
    mail = (await api.mail.wait_for(email))[0]
    assert "Hej Erik Johansson!" in mail.text
    assert f"{api.settings.password_reset_minutes} minuter" in mail.text

    # Two mentions: the subscription replays the second, and is then live.
    case_id = await tenant.create_case()
    for body in ["ett", "två"]:
        await tenant.add_comment(case_id, f"@{erik['handle']} {body}")
    lobby = await api.data(
        "{ viewer { notifications(first: 2) { edges { node { id } } } } }", token=erik["token"]
    )
    newer, older = [edge["node"]["id"] for edge in lobby["viewer"]["notifications"]["edges"]]
    async with api.ws(erik["token"]) as socket:
        await socket.subscribe_live(
            "subscription($after: ID) { notificationReceived(after: $after) { id } }",
            {"after": older},
            replayed={"id": newer},
        )
        assert await reset(api, token_of(link)) == {"ok": True, "userErrors": []}
        assert await close_code(socket) == 4403
    assert await api.error_codes("{ viewer { kind } }", token=erik["token"]) == ["UNAUTHENTICATED"]
    old = await api.data(LOGIN, {"e": email, "p": PASSWORD})
    assert old["login"]["userErrors"] == [{"field": ["email"], "code": "INVALID"}]
    assert await api.login(email, NEW_PASSWORD)
    # Single use.
    assert await reset(api, token_of(link), "ännu ett nytt lösenord") == BAD_TOKEN
    assert await api.login(email, NEW_PASSWORD)


async def test_a_portal_contact_gets_a_portal_link(api: Api) -> None:
    c = await conversation(api)
    email = c.contact["email"]
    portal_case = await c.portal_case()
    # A staff request for the contact's address mails nobody.
    await request_reset(api, email)
    assert await outbox_rows_to(api, email) == 0
    assert (await request_reset(api, email, portal=True))["data"] == {
        "requestPasswordReset": {"userErrors": []}
    }
    link = await mailed_link(api, email)
    assert link.startswith(f"{api.settings.public_url}/portal/reset-password?token=")
    assert "Hej Karin Svensson!" in (await api.mail.wait_for(email))[0].text

    older = await portal_says(api, c, portal_case["id"], "Hej!")
    newer = await portal_says(api, c, portal_case["id"], "Är ni där?")
    async with api.ws(c.contact["token"]) as portal:
        await portal.subscribe_live(
            MESSAGE_ADDED, {"caseId": portal_case["id"], "after": older}, replayed={"id": newer}
        )
        assert await reset(api, token_of(link)) == {"ok": True, "userErrors": []}
        assert await close_code(portal) == 4403
    login = await api.data(PORTAL_LOGIN, {"e": email, "p": NEW_PASSWORD})
    assert login["portalLogin"]["token"]
    assert await reset(api, token_of(link)) == BAD_TOKEN


async def test_a_portal_request_for_a_staff_address_mails_nobody(api: Api) -> None:
    tenant = await api.new_tenant()
    await request_reset(api, tenant.admin_email, portal=True)
    assert await outbox_rows_to(api, tenant.admin_email) == 0


async def test_an_unknown_address_is_answered_identically_and_as_slowly(api: Api) -> None:
    tenant = await api.new_tenant()
    known = (await tenant.create_user())["email"]
    unknown = f"{unique('nobody')}@example.se"
    answers, durations = {}, {}
    for email in (known, unknown, known, unknown):
        started = time.monotonic()
        response = await api.http.post(
            "/graphql", json={"query": REQUEST, "variables": {"input": {"email": email}}}
        )
        durations.setdefault(email, []).append(time.monotonic() - started)
        answers[email] = (response.status_code, response.content)
    assert answers[known] == answers[unknown]
    assert answers[known][1] == b'{"data":{"requestPasswordReset":{"userErrors":[]}}}'
    assert await outbox_rows_to(api, known) == 2
    assert await outbox_rows_to(api, unknown) == 0
    for took in durations.values():
        assert min(took) >= ANSWER_AFTER_SECONDS
    # The mail's writes hide under the floor: both take about as long.
    assert abs(min(durations[known]) - min(durations[unknown])) < 0.1


async def test_a_deactivated_user_gets_no_mail_and_cannot_use_an_earlier_link(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user()
    await request_reset(api, erik["email"])
    link = await mailed_link(api, erik["email"])
    async with api.db.transaction(None) as session:
        await session.execute(
            update(models.User).where(models.User.email == erik["email"]).values(active=False)
        )
    await request_reset(api, erik["email"])
    assert await outbox_rows_to(api, erik["email"]) == 1
    assert await reset(api, token_of(link)) == BAD_TOKEN


async def test_a_disabled_contact_gets_no_mail_and_an_earlier_link_dies(api: Api) -> None:
    c = await conversation(api)
    email = c.contact["email"]
    await request_reset(api, email, portal=True)
    link = await mailed_link(api, email)
    data = await api.data(DISABLE, {"input": {"contactId": c.contact["id"]}}, c.staff["token"])
    assert data["disablePortalAccess"]["userErrors"] == []
    await request_reset(api, email, portal=True)
    assert await outbox_rows_to(api, email) == 1
    # The old link must not give the portal back.
    assert await reset(api, token_of(link)) == BAD_TOKEN
    login = await api.data(PORTAL_LOGIN, {"e": email, "p": NEW_PASSWORD})
    assert login["portalLogin"]["token"] is None


async def test_bad_expired_and_superseded_tokens_are_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user()
    email = erik["email"]
    for token in ["", "nonsense", "a" * 43, "../../etc/passwd"]:
        assert await reset(api, token) == BAD_TOKEN

    await request_reset(api, email)
    first = token_of(await mailed_link(api, email))
    # A password that changePassword would refuse leaves the link usable.
    short = await reset(api, first, "kort")
    assert short["ok"] is False
    assert [(e["field"], e["code"]) for e in short["userErrors"]] == [
        (["input", "newPassword"], "INVALID")
    ]
    both = await reset(api, "nonsense", "kort")
    assert [e["field"] for e in both["userErrors"]] == [
        ["input", "token"],
        ["input", "newPassword"],
    ]

    await request_reset(api, email)
    second = token_of(await mailed_link(api, email, 2))
    assert second != first
    assert await reset(api, second) == {"ok": True, "userErrors": []}
    # Setting a password withdraws every other link of the person.
    assert await reset(api, first, "ett tredje lösenord") == BAD_TOKEN

    await request_reset(api, email)
    third = token_of(await mailed_link(api, email, 3))
    async with api.db.transaction(None) as session:
        await session.execute(
            update(models.PasswordReset)
            .where(models.PasswordReset.used_at.is_(None))
            .values(expires_at=models.utcnow() - timedelta(seconds=1))
        )
    assert await reset(api, third) == BAD_TOKEN
    assert await api.login(email, NEW_PASSWORD)


async def test_a_token_used_twice_at_once_works_once(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user()
    await request_reset(api, erik["email"])
    token = token_of(await mailed_link(api, erik["email"]))
    passwords = [f"nytt lösenord nummer {i}" for i in range(6)]
    answers = await asyncio.gather(*(reset(api, token, p) for p in passwords))
    assert sorted(a["ok"] for a in answers) == [False] * 5 + [True]
    assert all(a == BAD_TOKEN for a in answers if not a["ok"])
    winner = passwords[[a["ok"] for a in answers].index(True)]
    assert await api.login(erik["email"], winner)


async def test_requests_count_like_failed_sign_ins(api_with: ApiWith) -> None:
    async with api_with(
        sign_in_failures_per_email=3,
        sign_in_failures_per_address=100,
        broadcast_channel_prefix=f"reset-{uuid.uuid4().hex}.",
    ) as api:
        tenant = await api.new_tenant()
        unknown = f"{unique('nobody')}@example.se"
        refusals = {}
        for email in (tenant.admin_email, unknown):
            for _ in range(3):
                answer = await request_reset(api, email)
                assert answer == {"data": {"requestPasswordReset": {"userErrors": []}}}
            refusals[email] = await request_reset(api, email, portal=True)

        def shape(body: dict[str, Any]) -> tuple[Any, ...]:
            (error,) = body["errors"]
            return body["data"], error["path"], error["extensions"]["code"]

        assert shape(refusals[tenant.admin_email]) == shape(refusals[unknown])
        assert shape(refusals[unknown]) == (None, ["requestPasswordReset"], "RATE_LIMITED")
        assert 0 < refusals[unknown]["errors"][0]["extensions"]["retryAfter"] <= 900
        assert await outbox_rows_to(api, tenant.admin_email) == 3
        # They are failed sign-ins of that e-mail: even the right password waits.
        body = await api.post(LOGIN, {"e": tenant.admin_email, "p": PASSWORD})
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_requests_count_per_address(api_with: ApiWith) -> None:
    async with api_with(
        sign_in_failures_per_email=100,
        sign_in_failures_per_address=4,
        broadcast_channel_prefix=f"reset-{uuid.uuid4().hex}.",
    ) as api:
        for _ in range(4):
            answer = await request_reset(api, f"{unique('guess')}@example.se")
            assert "errors" not in answer
        refused = await request_reset(api, f"{unique('guess')}@example.se")
        assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused["data"] is None


async def test_the_portal_may_not_ask_and_staff_may(api: Api) -> None:
    c = await conversation(api)
    request = {"input": {"email": c.contact["email"], "portal": True}}
    assert await api.error_codes(REQUEST, request, c.contact["token"]) == ["FORBIDDEN"]
    assert await api.error_codes(
        RESET, {"input": {"token": "x", "newPassword": NEW_PASSWORD}}, c.contact["token"]
    ) == ["FORBIDDEN"]
    assert await outbox_rows_to(api, c.contact["email"]) == 0
    staff = await api.data(REQUEST, {"input": {"email": c.staff["email"]}}, c.staff["token"])
    assert staff["requestPasswordReset"] == {"userErrors": []}
    assert await outbox_rows_to(api, c.staff["email"]) == 1


@pytest.mark.parametrize("portal", [False, True])
async def test_a_refused_password_changes_nothing(api: Api, portal: bool) -> None:
    c = await conversation(api)
    email = c.contact["email"] if portal else c.staff["email"]
    signed_in = c.contact["token"] if portal else c.staff["token"]
    await request_reset(api, email, portal=portal)
    token = token_of(await mailed_link(api, email))
    assert (await reset(api, token, "x"))["ok"] is False
    # The sessions go on, and the link still works.
    assert (await api.data("{ viewer { kind } }", token=signed_in))["viewer"]["kind"]
    assert await reset(api, token) == {"ok": True, "userErrors": []}
