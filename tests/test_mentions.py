"""Comments with @mentions notify the mentioned users, live, in their lobby."""

from __future__ import annotations

from domain.mentions import mentioned_handles
from tests.support.client import Api

ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) {
    comment { id body author { id } mentions { id handle } createdAt }
    userErrors { field message code } } }"""
LOBBY = """query { viewer { unreadNotificationCount
  notifications(first: 10) { totalCount edges { node { id kind readAt actor { id } comment { id body } } } } } }"""
NOTIFICATION_RECEIVED = """subscription($after: ID) { notificationReceived(after: $after) {
  id kind actor { name } comment { id body mentions { handle } } } }"""


def test_what_counts_as_a_mention() -> None:
    body = (
        "Hej @Erik och @sara.n! Mejla anna@example.se, inte @@nisse. "
        "Koden `@kod` och ```\n@block\n``` räknas inte. @erik igen, @okänd, @okand."
    )
    # "@okänd" cannot be a handle (handles are ASCII); "@okand" could, and is looked up.
    assert mentioned_handles(body) == ["erik", "sara.n", "okand"]


async def test_mention_notifies_once_and_arrives_live(api: Api) -> None:
    tenant = await api.new_tenant()
    author = await tenant.create_user("Anna Lindqvist", handle="anna")
    erik = await tenant.create_user("Erik Johansson", handle="erik")
    case_id = await tenant.create_case()

    # Two earlier mentions: the subscription replays the second, and is then live.
    for body in ["@erik ett", "@erik två"]:
        await tenant.add_comment(case_id, body, author["token"])
    before = (await api.data(LOBBY, token=erik["token"]))["viewer"]["notifications"]
    newer, older = [edge["node"]["id"] for edge in before["edges"]]

    async with api.ws(erik["token"]) as socket:
        sub = await socket.subscribe_live(
            NOTIFICATION_RECEIVED, {"after": older}, replayed={"id": newer}
        )
        data = await api.data(
            ADD_COMMENT,
            {"caseId": case_id, "body": "@Erik kan du titta på detta? Tack @erik, och @anna."},
            author["token"],
        )
        comment = data["addComment"]["comment"]
        assert data["addComment"]["userErrors"] == []
        assert {m["handle"] for m in comment["mentions"]} == {"erik", "anna"}
        message = await socket.receive()
        assert message["id"] == sub
        assert message["type"] == "next"
        pushed = message["payload"]["data"]["notificationReceived"]
        assert pushed["kind"] == "MENTION"
        assert pushed["actor"] == {"name": "Anna Lindqvist"}
        assert pushed["comment"]["id"] == comment["id"]

    lobby = (await api.data(LOBBY, token=erik["token"]))["viewer"]
    assert lobby["unreadNotificationCount"] == 2 + 1
    assert lobby["notifications"]["totalCount"] == 2 + 1
    assert lobby["notifications"]["edges"][0]["node"]["id"] == pushed["id"]
    # The author mentioned themself: no notification for that.
    assert (await api.data(LOBBY, token=author["token"]))["viewer"]["unreadNotificationCount"] == 0


async def test_same_handle_in_another_tenant_gets_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    author = await tenant.create_user("Anna", handle="anna")
    namesake = await other.create_user("Erik i annat bolag", handle="erik")
    case_id = await tenant.create_case()
    data = await api.data(ADD_COMMENT, {"caseId": case_id, "body": "Hej @erik"}, author["token"])
    assert data["addComment"]["comment"]["mentions"] == []
    lobby = (await api.data(LOBBY, token=namesake["token"]))["viewer"]
    assert lobby["unreadNotificationCount"] == 0


async def test_comment_on_another_tenants_case_is_not_found(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    case_id = await other.create_case()
    for bad in [case_id, "not-an-id", ""]:
        data = await api.data(ADD_COMMENT, {"caseId": bad, "body": "Hej"}, tenant.admin_token)
        assert data["addComment"] == {
            "comment": None,
            "userErrors": [
                {
                    "field": ["input", "caseId"],
                    "message": "The case was not found.",
                    "code": "NOT_FOUND",
                }
            ],
        }


async def test_empty_comment_is_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case()
    data = await api.data(ADD_COMMENT, {"caseId": case_id, "body": "   "}, tenant.admin_token)
    assert data["addComment"]["userErrors"][0]["code"] == "REQUIRED"


async def test_mark_notifications_read(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik", handle="erik")
    case_id = await tenant.create_case()
    for i in range(3):
        await api.data(ADD_COMMENT, {"caseId": case_id, "body": f"@erik {i}"}, tenant.admin_token)
    lobby = (await api.data(LOBBY, token=erik["token"]))["viewer"]
    assert lobby["unreadNotificationCount"] == 3
    newest = lobby["notifications"]["edges"][0]["node"]
    assert newest["comment"]["body"] == "@erik 2"  # newest first

    mark = """mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) {
      markedCount unreadNotificationCount userErrors { field code } } }"""
    done = await api.data(mark, {"input": {"ids": [newest["id"]]}}, erik["token"])
    assert done["markNotificationsRead"] == {
        "markedCount": 1,
        "unreadNotificationCount": 2,
        "userErrors": [],
    }
    # Someone else's notification cannot be marked; nothing happens.
    other = await tenant.create_user("Sara", handle="sara")
    stolen = await api.data(mark, {"input": {"ids": [newest["id"]]}}, other["token"])
    assert stolen["markNotificationsRead"]["markedCount"] == 0
    bad = await api.data(mark, {"input": {"ids": ["garbage"]}}, erik["token"])
    assert bad["markNotificationsRead"]["userErrors"] == [
        {"field": ["input", "ids"], "code": "NOT_FOUND"}
    ]
    done = await api.data(mark, {"input": {"all": True}}, erik["token"])
    assert done["markNotificationsRead"]["unreadNotificationCount"] == 0
    unread = await api.data(
        "{ viewer { notifications(unreadOnly: true) { totalCount } } }", token=erik["token"]
    )
    assert unread["viewer"]["notifications"]["totalCount"] == 0


async def test_a_case_lists_its_comments_oldest_first(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik", handle="erik")
    case_id = await tenant.create_case("Hiss A står still")
    for body in ["Första", "@erik andra", "Tredje"]:
        await api.data(ADD_COMMENT, {"caseId": case_id, "body": body}, tenant.admin_token)
    data = await api.data(
        """query($id: ID!) { case(id: $id) { comments(first: 2) {
             totalCount pageInfo { hasNextPage } edges { node { body case { id title } } } } } }""",
        {"id": case_id},
        erik["token"],
    )
    comments = data["case"]["comments"]
    assert comments["totalCount"] == 3
    assert comments["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["body"] for e in comments["edges"]] == ["Första", "@erik andra"]
    assert comments["edges"][0]["node"]["case"] == {"id": case_id, "title": "Hiss A står still"}
    lobby = await api.data(
        "{ viewer { notifications { edges { node { kind case { id } } } } } }", token=erik["token"]
    )
    assert lobby["viewer"]["notifications"]["edges"] == [
        {"node": {"kind": "MENTION", "case": {"id": case_id}}}
    ]
