"""One rendering of a live event is shared only by subscribers who would get the same
answer: what a payload shows that depends on who asks (a user's own e-mail settings, readable
by that user and administrators) never reaches anyone else through a shared rendering."""

from __future__ import annotations

from typing import Any

from tests.support.client import Api, GraphQLSocket

COMMENTS = """subscription($caseId: ID!, $after: ID) { commentAdded(caseId: $caseId, after: $after) {
  id body author { name emailOnMention } } }"""


async def _live(socket: GraphQLSocket, case_id: str, first: str) -> list[str]:
    """Subscribes after the first comment and waits for the second's replay (then it is
    live); the error codes that replay came with."""
    operation = await socket.subscribe(COMMENTS, {"caseId": case_id, "after": first})
    message = await socket.receive()
    assert message["id"] == operation, message
    replayed, codes = _comment(message)
    assert replayed is None or replayed["body"] == "andra", message
    return codes


def _comment(message: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    assert message["type"] == "next", message
    payload = message["payload"]
    codes = [e["extensions"]["code"] for e in payload.get("errors", [])]
    return payload["data"]["commentAdded"] if payload.get("data") else None, codes


async def test_a_users_own_settings_reach_only_them_and_admins(api: Api) -> None:
    tenant = await api.new_tenant()
    author = await tenant.create_user("Anna Lindqvist")
    other = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    first = await tenant.add_comment(case_id, "första")
    await tenant.add_comment(case_id, "andra")

    async with (
        api.ws(author["token"]) as own,
        api.ws(other["token"]) as member,
        api.ws(tenant.admin_token) as admin,
    ):
        # The member subscribes first, so a shared rendering would be made for whoever came
        # first or last; each must get their own answer either way.
        assert await _live(member, case_id, first) == ["FORBIDDEN"]
        assert await _live(own, case_id, first) == ["FORBIDDEN"]  # "andra" is the admin's
        assert await _live(admin, case_id, first) == []
        await tenant.add_comment(case_id, "tredje", author["token"])

        seen_by_author, author_errors = _comment(await own.receive())
        assert author_errors == []
        assert seen_by_author is not None
        assert seen_by_author["author"] == {"name": "Anna Lindqvist", "emailOnMention": True}

        seen_by_admin, admin_errors = _comment(await admin.receive())
        assert admin_errors == []
        assert seen_by_admin is not None
        assert seen_by_admin["author"]["emailOnMention"] is True

        seen_by_member, member_errors = _comment(await member.receive())
        assert member_errors == ["FORBIDDEN"]
        assert seen_by_member is None or seen_by_member["author"] is None
