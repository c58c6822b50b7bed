"""Staff change their own profile; its e-mail settings decide which notifications are mailed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import OutboxMessage
from tests.support.client import Api, eventually, unique

PROFILE = """mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) {
  user { id name phone handle email emailOnMention emailOnAssignment }
  userErrors { field message code } } }"""
SETTINGS = (
    """query($id: ID!) { node(id: $id) { ... on User { emailOnMention emailOnAssignment } } }"""
)
ADD_COMMENT = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id } userErrors { code } } }"""
UPDATE_CASE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id } userErrors { field code } } }"""


def errors(data: dict[str, Any]) -> dict[tuple[str, ...], str]:
    return {tuple(e["field"]): e["code"] for e in data["updateMyProfile"]["userErrors"]}


async def mail_to(api: Api, address: str) -> list[tuple[str, str]]:
    async with api.db.session(None) as session:
        rows = await session.execute(
            select(OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id)
        )
        return [(s or "", b) for s, b in rows.all()]


async def test_a_user_changes_their_own_profile(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson", phone="070-111 22 33")
    handle = unique("erikj")
    data = await api.data(
        PROFILE,
        {
            "input": {
                "name": "Erik Jonsson",
                "handle": handle,
                "emailOnMention": False,
                "emailOnAssignment": True,
            }
        },
        erik["token"],
    )
    assert data["updateMyProfile"]["user"] == {
        "id": erik["id"],
        "name": "Erik Jonsson",
        "phone": "+46701112233",
        "handle": handle,
        "email": erik["email"],
        "emailOnMention": False,
        "emailOnAssignment": True,
    }
    cleared = await api.data(PROFILE, {"input": {"phone": None}}, erik["token"])
    assert cleared["updateMyProfile"]["user"]["phone"] is None
    assert cleared["updateMyProfile"]["user"]["emailOnAssignment"] is True


async def test_bad_profile_changes_are_refused_and_nothing_is_written(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson", handle=unique("sara"))
    bad = {
        "name": " ",
        "handle": sara["handle"].upper(),
        "phone": "12",
        "emailOnMention": None,
        "emailOnAssignment": True,
    }
    data = await api.data(PROFILE, {"input": bad}, erik["token"])
    assert data["updateMyProfile"]["user"] is None
    assert errors(data) == {
        ("input", "name"): "REQUIRED",
        ("input", "handle"): "INVALID",
        ("input", "phone"): "INVALID",
        ("input", "emailOnMention"): "REQUIRED",
    }
    settings = await api.data(SETTINGS, {"id": erik["id"]}, erik["token"])
    assert settings["node"] == {"emailOnMention": True, "emailOnAssignment": False}


async def test_email_settings_are_for_the_user_and_admins_only(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    for token in (erik["token"], tenant.admin_token):
        data = await api.data(SETTINGS, {"id": erik["id"]}, token)
        assert data["node"] == {"emailOnMention": True, "emailOnAssignment": False}
    for field in ("emailOnMention", "emailOnAssignment"):
        query = f"query($id: ID!) {{ node(id: $id) {{ ... on User {{ name {field} }} }} }}"
        assert await api.error_codes(query, {"id": erik["id"]}, sara["token"]) == ["FORBIDDEN"]
        listed = f"{{ users {{ edges {{ node {{ {field} }} }} }} }}"
        assert "FORBIDDEN" in await api.error_codes(listed, token=sara["token"])
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    codes = await api.error_codes(PROFILE, {"input": {"name": "Karin"}}, contact["token"])
    assert codes == ["FORBIDDEN"]


async def test_mentions_are_mailed_only_where_the_profile_says_so(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson", handle=unique("erik"))
    sara = await tenant.create_user("Sara Nilsson", handle=unique("sara"))
    await api.data(PROFILE, {"input": {"emailOnMention": False}}, sara["token"])
    case_id = await tenant.create_case("Läckande kran")
    body = f"@{erik['handle']} och @{sara['handle']}: kolla kranen"
    await api.data(ADD_COMMENT, {"input": {"caseId": case_id, "body": body}}, tenant.admin_token)
    mails = await eventually(lambda: mail_to(api, erik["email"]), what="mention mail")
    assert body in mails[0][1]
    assert await mail_to(api, sara["email"]) == []


async def test_assignments_are_mailed_only_where_the_profile_says_so(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    olle = await tenant.create_user("Olle Berg")
    await api.data(PROFILE, {"input": {"emailOnAssignment": True}}, erik["token"])
    await api.data(PROFILE, {"input": {"emailOnAssignment": True}}, olle["token"])
    group = await tenant.create_group("Jour", [olle["id"]])
    case = await tenant.register_case(
        title="Trasig tvättmaskin", assignedUserIds=[erik["id"], sara["id"]]
    )
    mails = await eventually(lambda: mail_to(api, erik["email"]), what="assignment mail")
    assert len(mails) == 1
    subject, body = mails[0]
    assert "Trasig tvättmaskin" in subject and "Trasig tvättmaskin" in body
    assert f"ärende #{case['number']}" in body
    # Sara kept the default (off); through a group counts as assigned too.
    assert await mail_to(api, sara["email"]) == []
    assert await mail_to(api, olle["email"]) == []
    await api.data(
        UPDATE_CASE,
        {"input": {"id": case["id"], "assignedGroupIds": [group["id"]]}},
        tenant.admin_token,
    )
    group_mails = await eventually(lambda: mail_to(api, olle["email"]), what="group mail")
    assert "Trasig tvättmaskin" in group_mails[0][0]
    # Whoever assigns themself is not told; nor are those already assigned.
    await api.data(PROFILE, {"input": {"emailOnAssignment": True}}, sara["token"])
    await api.data(
        UPDATE_CASE, {"input": {"id": case["id"], "title": "Trasig torktumlare"}}, sara["token"]
    )
    assert await mail_to(api, sara["email"]) == []
    assert len(await mail_to(api, erik["email"])) == 1
