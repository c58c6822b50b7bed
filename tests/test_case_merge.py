"""Merging a case into another: everything moves, the source closes, nothing is lost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from graph.ids import pk_of
from tests.support.client import Api, Tenant
from tests.test_case_links import LINK
from tests.test_customer_conversation import PORTAL_CASES, PORTAL_SEND, SEND
from tests.test_inbound_endpoint import post, reply
from tests.test_live_resume import next_payloads

MERGE = """mutation($input: MergeCasesInput!) { mergeCases(input: $input) {
  case { id number } userErrors { field message code } } }"""
ADD_COMMENT = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id } userErrors { field message code } } }"""
ADD_TASK = """mutation($input: AddTaskInput!) { addTask(input: $input) {
  case { id } userErrors { field message code } } }"""
SAVE_STATUS = """mutation($input: SaveCaseStatusInput!) { saveCaseStatus(input: $input) {
  caseStatus { id } userErrors { field message code } } }"""
CASE = """query($id: ID!) { case(id: $id) { id number status { name }
  mergedInto { id number }
  comments { totalCount edges { node { id body createdAt author { name } case { id } } } }
  messages { totalCount edges { node { id body direction authorName createdAt } } }
  tasks { id title } assignedUsers { name } assignedGroups { name }
  events { edges { node { action actorName changes { field from to } } } } } }"""
NOTIFICATIONS = """{ viewer { notifications { edges { node {
  kind case { id } comment { id body } message { id body } } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body } }"""
MESSAGE_ADDED = """subscription($caseId: ID!, $after: ID) {
  conversationMessageAdded(caseId: $caseId, after: $after) { id body } }"""


@dataclass
class Desk:
    """A helpdesk: Erik and Sara at Kvarnen, Karin at Brf Solbacken (in the portal)."""

    api: Api
    tenant: Tenant
    erik: dict[str, Any]
    sara: dict[str, Any]
    customer: dict[str, Any]
    karin: dict[str, Any]

    async def case(self, title: str, **given: Any) -> dict[str, Any]:
        return await self.tenant.register_case(
            self.erik["token"],
            title=title,
            customerId=self.customer["id"],
            contactId=self.karin["id"],
            visibleInPortal=True,
            **given,
        )

    async def do(self, query: str, input: dict[str, Any], token: str | None = None) -> Any:
        data = await self.api.data(query, {"input": input}, token or self.erik["token"])
        [payload] = data.values()
        return payload

    async def comment(self, case_id: str, body: str, token: str | None = None) -> str:
        added = await self.do(ADD_COMMENT, {"caseId": case_id, "body": body}, token)
        assert added["userErrors"] == [], added
        comment_id: str = added["comment"]["id"]
        return comment_id

    async def message(self, case_id: str, body: str) -> str:
        sent = await self.do(SEND, {"caseId": case_id, "body": body})
        assert sent["userErrors"] == [], sent
        message_id: str = sent["message"]["id"]
        return message_id

    async def task(self, case_id: str, title: str) -> None:
        added = await self.do(ADD_TASK, {"caseId": case_id, "title": title})
        assert added["userErrors"] == [], added

    async def merge(self, source: str, target: str, token: str | None = None) -> Any:
        return await self.do(MERGE, {"sourceId": source, "targetId": target}, token)

    async def view(self, case_id: str) -> dict[str, Any]:
        data = await self.api.data(CASE, {"id": case_id}, self.erik["token"])
        case: dict[str, Any] = data["case"]
        return case


async def desk(api: Api) -> Desk:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson", handle="sara")
    customer = await tenant.create_customer("Brf Solbacken")
    karin = await tenant.create_portal_contact(customer["id"], "Karin Svensson")
    return Desk(api, tenant, erik, sara, customer, karin)


def errors(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in connection["edges"]]


def pk(global_id: str, type_name: str) -> int:
    found = pk_of(global_id, type_name)
    assert found is not None
    return found


async def test_a_merge_moves_everything_to_the_target_and_closes_the_source(api: Api) -> None:
    d = await desk(api)
    plumbers = await d.tenant.create_group("Rörmokare", [d.erik["id"]])
    painters = await d.tenant.create_group("Målare", [d.sara["id"]])
    target = await d.case(
        "Läcka i tvättstugan", assignedUserIds=[d.erik["id"]], assignedGroupIds=[plumbers["id"]]
    )
    source = await d.case(
        "Vatten på golvet i tvättstugan",
        assignedUserIds=[d.sara["id"], d.erik["id"]],
        assignedGroupIds=[painters["id"], plumbers["id"]],
        responsibleId=d.erik["id"],
    )
    await d.comment(target["id"], "Rörmokare bokad.")
    await d.message(target["id"], "Vi kommer på torsdag.")
    await d.task(target["id"], "Stäng av vattnet")
    await d.comment(source["id"], "@sara kan du titta?", d.tenant.admin_token)
    await d.comment(source["id"], "Golvbrunnen är igensatt.")
    await d.message(source["id"], "Har ni sett vattnet?")
    [portal_source] = [
        e["node"]["id"]
        for e in (await api.data(PORTAL_CASES, token=d.karin["token"]))["portalCases"]["edges"]
        if e["node"]["title"] == source["title"]
    ]
    answered = await d.do(
        PORTAL_SEND, {"caseId": portal_source, "body": "Ja, i hela källaren."}, d.karin["token"]
    )
    assert answered["userErrors"] == []
    await d.task(source["id"], "Rensa golvbrunnen")
    await d.task(source["id"], "Torka golvet")
    before = await d.view(source["id"])

    merged = await d.merge(source["id"], target["id"])
    assert merged == {"case": {"id": target["id"], "number": target["number"]}, "userErrors": []}

    after = await d.view(target["id"])
    comments = nodes(after["comments"])
    moved = nodes(before["comments"])
    assert [c["body"] for c in comments] == [
        "Rörmokare bokad.",
        "@sara kan du titta?",
        "Golvbrunnen är igensatt.",
    ]
    # Ids, authors and times are kept: the moved ones were written after the target's own.
    assert [(c["id"], c["author"], c["createdAt"]) for c in comments[1:]] == [
        (c["id"], c["author"], c["createdAt"]) for c in moved
    ]
    assert all(c["case"] == {"id": target["id"]} for c in comments)
    messages = nodes(after["messages"])
    assert [(m["direction"], m["body"], m["authorName"]) for m in messages] == [
        ("TO_CUSTOMER", "Vi kommer på torsdag.", "Erik Johansson"),
        ("TO_CUSTOMER", "Har ni sett vattnet?", "Erik Johansson"),
        ("FROM_CUSTOMER", "Ja, i hela källaren.", "Karin Svensson"),
    ]
    assert [(m["id"], m["createdAt"]) for m in messages[1:]] == [
        (m["id"], m["createdAt"]) for m in nodes(before["messages"])
    ]
    # Tasks keep their ids and follow the target's own.
    assert after["tasks"] == [
        {"id": after["tasks"][0]["id"], "title": "Stäng av vattnet"},
        *before["tasks"],
    ]
    assert after["assignedUsers"] == [{"name": "Erik Johansson"}, {"name": "Sara Nilsson"}]
    assert after["assignedGroups"] == [{"name": "Målare"}, {"name": "Rörmokare"}]
    assert nodes(after["events"])[-1] == {
        "action": "MERGED_FROM",
        "actorName": "Erik Johansson",
        "changes": [{"field": "mergedFrom", "from": None, "to": str(source["number"])}],
    }

    closed = await d.view(source["id"])
    assert closed["status"] == {"name": "Avslutad"}
    assert closed["mergedInto"] == {"id": target["id"], "number": target["number"]}
    assert after["mergedInto"] is None
    assert closed["comments"]["totalCount"] == closed["messages"]["totalCount"] == 0
    assert closed["tasks"] == closed["assignedUsers"] == closed["assignedGroups"] == []
    assert nodes(closed["events"])[-1] == {
        "action": "MERGED_INTO",
        "actorName": "Erik Johansson",
        "changes": [{"field": "mergedInto", "from": None, "to": str(target["number"])}],
    }

    # Notifications follow what they are about.
    lobby = nodes((await api.data(NOTIFICATIONS, token=d.sara["token"]))["viewer"]["notifications"])
    [mention] = [n for n in lobby if n["kind"] == "MENTION"]
    assert mention["case"] == {"id": target["id"]}
    assert mention["comment"] == {"id": comments[1]["id"], "body": "@sara kan du titta?"}
    lobby = nodes((await api.data(NOTIFICATIONS, token=d.erik["token"]))["viewer"]["notifications"])
    [answer] = [n for n in lobby if n["kind"] == "CUSTOMER_MESSAGE"]
    assert answer["case"] == {"id": target["id"]}
    assert answer["message"] == {"id": messages[2]["id"], "body": "Ja, i hela källaren."}
    # A link to a moved comment keeps working.
    found = await api.data(NODE, {"id": moved[0]["id"]}, d.erik["token"])
    assert found["node"] == {"id": moved[0]["id"]}


async def test_the_targets_subscribers_replay_what_moved_in_after_their_cursor(api: Api) -> None:
    d = await desk(api)
    target = await d.case("Läcka i tvättstugan")
    source = await d.case("Vatten på golvet")
    seen_comment = await d.comment(target["id"], "Rörmokare bokad.")
    seen_message = await d.message(target["id"], "Vi kommer på torsdag.")
    for body in ["ett", "två", "tre"]:
        await d.comment(source["id"], body)
        await d.message(source["id"], body)
    assert errors(await d.merge(source["id"], target["id"])) == []

    async with api.ws(d.erik["token"]) as socket:
        await socket.subscribe(COMMENT_ADDED, {"caseId": target["id"], "after": seen_comment})
        replayed = await next_payloads(socket, "commentAdded", 3)
    assert [c["body"] for c in replayed] == ["ett", "två", "tre"]
    async with api.ws(d.erik["token"]) as socket:
        await socket.subscribe(MESSAGE_ADDED, {"caseId": target["id"], "after": seen_message})
        replayed = await next_payloads(socket, "conversationMessageAdded", 3)
    assert [m["body"] for m in replayed] == ["ett", "två", "tre"]
    on_target = nodes((await d.view(target["id"]))["messages"])
    assert [m["id"] for m in replayed] == [m["id"] for m in on_target[1:]]


async def test_the_sources_subscriptions_complete_and_the_targets_get_only_what_is_new(
    api: Api,
) -> None:
    d = await desk(api)
    target = await d.case("Läcka i tvättstugan")
    source = await d.case("Vatten på golvet")
    # Written in turns, so the moved comments' ids fall between the target's own.
    t1 = await d.comment(target["id"], "t1")
    s1 = await d.comment(source["id"], "s1")
    await d.comment(target["id"], "t2")
    await d.comment(source["id"], "s2")
    m1 = await d.message(source["id"], "m1")
    await d.message(source["id"], "m2")
    async with api.ws(d.erik["token"]) as on_target, api.ws(d.erik["token"]) as on_source:
        await on_target.subscribe_live(
            COMMENT_ADDED, {"caseId": target["id"], "after": t1}, replayed={"body": "t2"}
        )
        comments = await on_source.subscribe_live(
            COMMENT_ADDED, {"caseId": source["id"], "after": s1}, replayed={"body": "s2"}
        )
        messages = await on_source.subscribe_live(
            MESSAGE_ADDED, {"caseId": source["id"], "after": m1}, replayed={"body": "m2"}
        )
        assert errors(await d.merge(source["id"], target["id"])) == []

        # After commit the source's subscriptions complete.
        ended = [await on_source.receive(), await on_source.receive()]
        assert sorted(ended, key=lambda m: m["id"]) == sorted(
            [{"id": comments, "type": "complete"}, {"id": messages, "type": "complete"}],
            key=lambda m: m["id"],
        )
        # What moved in is not pushed live: the target's subscriber gets the next new one.
        await d.comment(target["id"], "t3")
        pushed = await on_target.receive()
        assert pushed["type"] == "next", pushed
        assert pushed["payload"]["data"]["commentAdded"]["body"] == "t3"

    # On the target in the order written, and resuming replays what moved in, by id.
    assert [c["body"] for c in nodes((await d.view(target["id"]))["comments"])] == [
        "t1",
        "s1",
        "t2",
        "s2",
        "t3",
    ]
    async with api.ws(d.erik["token"]) as socket:
        await socket.subscribe(COMMENT_ADDED, {"caseId": target["id"], "after": t1})
        replayed = await next_payloads(socket, "commentAdded", 4)
        assert [c["body"] for c in replayed] == ["s1", "t2", "s2", "t3"]

        # A subscription to the merged case completes at once, with `after` or without.
        for query, variables in [
            (COMMENT_ADDED, {"caseId": source["id"]}),
            (COMMENT_ADDED, {"caseId": source["id"], "after": s1}),
            (MESSAGE_ADDED, {"caseId": source["id"]}),
            (MESSAGE_ADDED, {"caseId": source["id"], "after": m1}),
        ]:
            operation = await socket.subscribe(query, variables)
            assert await socket.receive() == {"id": operation, "type": "complete"}


async def test_the_source_closes_with_the_lowest_active_closed_status(api: Api) -> None:
    d = await desk(api)
    for name, order, active in [("Arkiverad", 0, False), ("Sammanslagen", 1, True)]:
        saved = await d.do(
            SAVE_STATUS,
            {"name": name, "order": order, "active": active, "closed": True},
            d.tenant.admin_token,
        )
        assert saved["userErrors"] == []
    target, source = await d.case("Mål"), await d.case("Källa")
    assert errors(await d.merge(source["id"], target["id"])) == []
    assert (await d.view(source["id"]))["status"] == {"name": "Sammanslagen"}

    # With no active closed status there is nothing to close the source with.
    d = await desk(api)
    closed = (await d.tenant.options())["statuses"]["Avslutad"]
    saved = await d.do(
        SAVE_STATUS,
        {"id": closed, "name": "Avslutad", "active": False, "closed": True},
        d.tenant.admin_token,
    )
    assert saved["userErrors"] == []
    target, source = await d.case("Mål"), await d.case("Källa")
    assert errors(await d.merge(source["id"], target["id"])) == [
        (["input", "sourceId"], "NOT_ALLOWED")
    ]


async def test_refused_merges_write_nothing(api: Api) -> None:
    d = await desk(api)
    other_customer = await d.tenant.create_customer("Brf Ekbacken")
    other_tenant = await api.new_tenant("Annan AB")
    source = await d.case("Källa")
    await d.comment(source["id"], "Stannar kvar.")
    target = await d.case("Mål")
    elsewhere = await d.tenant.register_case(title="Ekbacken", customerId=other_customer["id"])
    internal = await d.tenant.register_case(title="Internt")
    theirs = await other_tenant.register_case(title="Deras")

    refused = [
        (source, source, [(["input", "targetId"], "INVALID")]),
        (source, elsewhere, [(["input", "targetId"], "INVALID")]),
        (source, internal, [(["input", "targetId"], "INVALID")]),
        (source, theirs, [(["input", "targetId"], "NOT_FOUND")]),
        (theirs, target, [(["input", "sourceId"], "NOT_FOUND")]),
    ]
    for from_, into, expected in refused:
        assert errors(await d.merge(from_["id"], into["id"])) == expected
    still = await d.view(source["id"])
    assert still["mergedInto"] is None
    assert still["comments"]["totalCount"] == 1
    assert still["status"] == {"name": "Ny"}
    assert await api.error_codes(
        MERGE, {"input": {"sourceId": source["id"], "targetId": target["id"]}}, d.karin["token"]
    ) == ["FORBIDDEN"]


async def test_a_merged_case_takes_nothing_new(api: Api) -> None:
    d = await desk(api)
    source, target, third = await d.case("Källa"), await d.case("Mål"), await d.case("Tredje")
    [portal_source] = [
        e["node"]["id"]
        for e in (await api.data(PORTAL_CASES, token=d.karin["token"]))["portalCases"]["edges"]
        if e["node"]["title"] == "Källa"
    ]
    assert errors(await d.merge(source["id"], target["id"])) == []

    not_allowed = [(["input", "sourceId"], "NOT_ALLOWED")]
    assert errors(await d.merge(source["id"], third["id"])) == not_allowed
    assert errors(await d.merge(third["id"], source["id"])) == [
        (["input", "targetId"], "NOT_ALLOWED")
    ]
    on_case_id = [(["input", "caseId"], "NOT_ALLOWED")]
    link = {"caseId": source["id"], "otherCaseId": third["id"], "kind": "RELATES_TO"}
    assert errors(await d.do(LINK, link)) == on_case_id
    link = {"caseId": third["id"], "otherCaseId": source["id"], "kind": "RELATES_TO"}
    assert errors(await d.do(LINK, link)) == [(["input", "otherCaseId"], "NOT_ALLOWED")]
    assert errors(await d.do(ADD_COMMENT, {"caseId": source["id"], "body": "Hej"})) == on_case_id
    assert errors(await d.do(ADD_TASK, {"caseId": source["id"], "title": "Mer"})) == on_case_id
    assert errors(await d.do(SEND, {"caseId": source["id"], "body": "Hej"})) == on_case_id
    portal = {"caseId": portal_source, "body": "Hej"}
    assert errors(await d.do(PORTAL_SEND, portal, d.karin["token"])) == on_case_id

    closed = await d.view(source["id"])
    assert closed["comments"]["totalCount"] == closed["messages"]["totalCount"] == 0
    assert closed["tasks"] == []
    # The target itself works on, and may be merged further.
    assert errors(await d.merge(target["id"], third["id"])) == []


async def test_replies_to_the_sources_reply_address_go_to_the_target(api: Api) -> None:
    d = await desk(api)
    source = await d.case("Källa")
    await d.message(source["id"], "Hej Karin, när passar det?")
    [mail] = await api.mail.wait_for(d.karin["email"])
    target, last = await d.case("Mål"), await d.case("Sist")
    assert errors(await d.merge(source["id"], target["id"])) == []

    status, body = await post(api, reply(mail.message["Reply-To"], d.karin["email"], "Torsdag."))
    assert status == 200, body
    [moved, answer] = nodes((await d.view(target["id"]))["messages"])
    assert (moved["body"], answer["id"], answer["body"]) == (
        "Hej Karin, när passar det?",
        body["messageId"],
        "Torsdag.",
    )
    assert (await d.view(source["id"]))["messages"]["totalCount"] == 0

    # Merged on again: replies follow to the last one.
    assert errors(await d.merge(target["id"], last["id"])) == []
    status, body = await post(api, reply(mail.message["Reply-To"], d.karin["email"], "Fredag?"))
    assert status == 200, body
    bodies = [m["body"] for m in nodes((await d.view(last["id"]))["messages"])]
    assert bodies == ["Hej Karin, när passar det?", "Torsdag.", "Fredag?"]


async def _filled(d: Desk, title: str) -> str:
    """A case with two comments, a message to the customer and a task, each named after it."""
    case_id: str = (await d.case(title))["id"]
    await d.comment(case_id, f"{title} 1")
    await d.comment(case_id, f"{title} 2")
    await d.message(case_id, f"{title} meddelande")
    await d.task(case_id, f"{title} uppgift")
    return case_id


async def _everything(d: Desk, *case_ids: str) -> dict[str, list[str]]:
    """Every comment, message and task body across the cases, sorted."""
    found: dict[str, list[str]] = {"comments": [], "messages": [], "tasks": []}
    for case_id in case_ids:
        case = await d.view(case_id)
        found["comments"] += [c["body"] for c in nodes(case["comments"])]
        found["messages"] += [m["body"] for m in nodes(case["messages"])]
        found["tasks"] += [t["title"] for t in case["tasks"]]
    return {kind: sorted(bodies) for kind, bodies in found.items()}


async def test_racing_merges_lose_and_duplicate_nothing(api: Api) -> None:
    d = await desk(api)

    # A into B and B into A at once: one wins, the other finds a merged case.
    a, b = await _filled(d, "A"), await _filled(d, "B")
    everything = await _everything(d, a, b)
    results = await asyncio.gather(*(d.merge(*pair) for _ in range(8) for pair in [(a, b), (b, a)]))
    assert sorted(len(errors(r)) for r in results) == [0] + [1] * 15
    assert {code for r in results for _, code in errors(r)} == {"NOT_ALLOWED"}
    [winner] = [r["case"]["id"] for r in results if not r["userErrors"]]
    loser = a if winner == b else b
    assert await _everything(d, winner) == everything
    assert (await d.view(loser))["mergedInto"]["id"] == winner
    assert (await d.view(winner))["mergedInto"] is None

    # A into B, many times at once: once.
    a, b = await _filled(d, "C"), await _filled(d, "D")
    everything = await _everything(d, a, b)
    results = await asyncio.gather(*(d.merge(a, b) for _ in range(15)))
    assert (
        sorted(errors(r) for r in results) == [[]] + [[(["input", "sourceId"], "NOT_ALLOWED")]] * 14
    )
    assert await _everything(d, b) == everything

    # A into B while C goes into A: in either order, everything ends up somewhere, once.
    for round_ in range(3):
        a, b, c = [await _filled(d, f"{name}{round_}") for name in "EFG"]
        everything = await _everything(d, a, b, c)
        await asyncio.gather(d.merge(a, b), d.merge(c, a))
        assert await _everything(d, a, b, c) == everything
        assert (await d.view(a))["mergedInto"]["id"] == b


SET_TAGS = """mutation($input: SetCaseTagsInput!) { setCaseTags(input: $input) {
  case { tags } userErrors { field code } } }"""


async def test_tags_move_after_the_targets_own_once_and_a_merged_case_takes_none(
    api: Api,
) -> None:
    d = await desk(api)
    source, target = await d.case("Källa"), await d.case("Mål")
    tagged = await d.do(SET_TAGS, {"caseId": source["id"], "tags": ["Läcka", "Akut", "Tak"]})
    assert errors(tagged) == []
    tagged = await d.do(SET_TAGS, {"caseId": target["id"], "tags": ["Tak", "Vind"]})
    assert errors(tagged) == []

    assert errors(await d.merge(source["id"], target["id"])) == []

    read = "query($id: ID!) { case(id: $id) { tags } }"
    on_target = await api.data(read, {"id": target["id"]}, d.erik["token"])
    assert on_target["case"]["tags"] == ["Tak", "Vind", "Läcka", "Akut"]
    on_source = await api.data(read, {"id": source["id"]}, d.erik["token"])
    assert on_source["case"]["tags"] == []
    refused = await d.do(SET_TAGS, {"caseId": source["id"], "tags": ["Ny"]})
    assert errors(refused) == [(["input", "caseId"], "NOT_ALLOWED")]
    counts = await api.data('{ tags(search: "aku") { name count } }', token=d.erik["token"])
    assert counts["tags"] == [{"name": "Akut", "count": 1}]
