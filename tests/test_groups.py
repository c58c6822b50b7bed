"""An admin renames groups, replaces their members and deletes them; cases follow at once."""

from __future__ import annotations

from typing import Any

from graph.ids import to_global_id
from tests.support.client import Api, Tenant

GROUP = "group { id name members { id } } userErrors { field message code }"
UPDATE_GROUP = f"""mutation($input: UpdateGroupInput!) {{ updateGroup(input: $input) {{
  {GROUP} }} }}"""
SET_MEMBERS = f"""mutation($input: SetGroupMembersInput!) {{ setGroupMembers(input: $input) {{
  {GROUP} }} }}"""
DELETE_GROUP = """mutation($input: DeleteGroupInput!) { deleteGroup(input: $input) {
  deletedId userErrors { field message code } } }"""
TAKE = """mutation($id: ID!) { takeCase(input: {caseId: $id}) {
  case { responsible { id } } userErrors { field code } } }"""
CASES = """query($scope: CaseScope, $search: String) { cases(scope: $scope, search: $search) {
  edges { node { id } } } }"""
CASE = """query($id: ID!) { case(id: $id) { assignedGroups { id name }
  events { edges { node { action actorName changes { field from to } } } } } }"""


def errors(data: dict[str, Any], name: str) -> dict[tuple[str, ...], str]:
    return {tuple(e["field"]): e["code"] for e in data[name]["userErrors"]}


async def case_ids(api: Api, token: str, **variables: Any) -> list[str]:
    data = await api.data(CASES, variables, token)
    return [e["node"]["id"] for e in data["cases"]["edges"]]


async def groups(api: Api, tenant: Tenant) -> list[dict[str, Any]]:
    data = await api.data("{ groups { id name members { id } } }", token=tenant.admin_token)
    found: list[dict[str, Any]] = data["groups"]
    return found


async def test_renaming_a_group_finds_its_cases_by_the_new_name_only(api: Api) -> None:
    tenant = await api.new_tenant()
    group = await tenant.create_group("Jour Göteborg", [])
    case = await tenant.register_case(title="Läckage", assignedGroupIds=[group["id"]])
    await tenant.register_case(title="Annat")
    assert await case_ids(api, tenant.admin_token, search="göteborg") == [case["id"]]
    data = await api.data(
        UPDATE_GROUP, {"input": {"id": group["id"], "name": "Service Mölndal"}}, tenant.admin_token
    )
    assert data["updateGroup"]["group"]["name"] == "Service Mölndal"
    assert await case_ids(api, tenant.admin_token, search="MÖLNDAL") == [case["id"]]
    assert await case_ids(api, tenant.admin_token, search="göteborg") == []
    # Sending no name changes nothing.
    same = await api.data(UPDATE_GROUP, {"input": {"id": group["id"]}}, tenant.admin_token)
    assert same["updateGroup"]["group"]["name"] == "Service Mölndal"


async def test_bad_group_changes_are_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    member = await tenant.create_user("Erik Johansson")
    stranger = await other.create_user("Olle Berg")
    group = await tenant.create_group("Jour", [member["id"]])
    theirs = await other.create_group("Deras", [])
    for name in (None, "  "):
        data = await api.data(
            UPDATE_GROUP, {"input": {"id": group["id"], "name": name}}, tenant.admin_token
        )
        assert errors(data, "updateGroup") == {("input", "name"): "REQUIRED"}
    for group_id in (theirs["id"], to_global_id("Group", 9_999_999), member["id"]):
        data = await api.data(
            UPDATE_GROUP, {"input": {"id": group_id, "name": "X"}}, tenant.admin_token
        )
        assert errors(data, "updateGroup") == {("input", "id"): "NOT_FOUND"}
        data = await api.data(
            SET_MEMBERS, {"input": {"groupId": group_id, "memberIds": []}}, tenant.admin_token
        )
        assert errors(data, "setGroupMembers") == {("input", "groupId"): "NOT_FOUND"}
        data = await api.data(DELETE_GROUP, {"input": {"id": group_id}}, tenant.admin_token)
        assert errors(data, "deleteGroup") == {("input", "id"): "NOT_FOUND"}
    for members in ([stranger["id"]], [member["id"], stranger["id"]], ["nonsense"]):
        data = await api.data(
            SET_MEMBERS,
            {"input": {"groupId": group["id"], "memberIds": members}},
            tenant.admin_token,
        )
        assert errors(data, "setGroupMembers") == {("input", "memberIds"): "NOT_FOUND"}
    # Nothing was written, and the other tenant's group is as it was.
    assert await groups(api, tenant) == [
        {"id": group["id"], "name": "Jour", "members": [{"id": member["id"]}]}
    ]
    assert await groups(api, other) == [{"id": theirs["id"], "name": "Deras", "members": []}]


async def test_members_may_not_change_groups(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user("Erik Johansson")
    group = await tenant.create_group("Jour", [])
    for document, given in [
        (UPDATE_GROUP, {"id": group["id"], "name": "Mitt"}),
        (SET_MEMBERS, {"groupId": group["id"], "memberIds": [member["id"]]}),
        (DELETE_GROUP, {"id": group["id"]}),
    ]:
        codes = await api.error_codes(document, {"input": given}, member["token"])
        assert codes == ["FORBIDDEN"]
    assert await groups(api, tenant) == [{"id": group["id"], "name": "Jour", "members": []}]


async def test_new_members_take_the_groups_cases_at_once_and_old_ones_lose_them(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    group = await tenant.create_group("Jour", [erik["id"]])
    case = await tenant.register_case(assignedGroupIds=[group["id"]])
    assert await case_ids(api, erik["token"], scope="MINE") == [case["id"]]
    assert await case_ids(api, sara["token"], scope="MINE") == []

    data = await api.data(
        SET_MEMBERS,
        {"input": {"groupId": group["id"], "memberIds": [sara["id"]]}},
        tenant.admin_token,
    )
    assert data["setGroupMembers"]["group"]["members"] == [{"id": sara["id"]}]
    assert await case_ids(api, sara["token"], scope="MINE") == [case["id"]]
    assert await case_ids(api, erik["token"], scope="MINE") == []
    refused = await api.data(TAKE, {"id": case["id"]}, erik["token"])
    assert errors(refused, "takeCase") == {("input", "caseId"): "NOT_ALLOWED"}
    taken = await api.data(TAKE, {"id": case["id"]}, sara["token"])
    assert taken["takeCase"]["case"]["responsible"] == {"id": sara["id"]}

    emptied = await api.data(
        SET_MEMBERS, {"input": {"groupId": group["id"], "memberIds": []}}, tenant.admin_token
    )
    assert emptied["setGroupMembers"]["group"]["members"] == []


async def test_deleting_a_group_unassigns_it_and_each_case_logs_that(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    jour = await tenant.create_group("Jour Kungsbacka", [erik["id"]])
    kept = await tenant.create_group("Service", [])
    both = await tenant.register_case(assignedGroupIds=[jour["id"], kept["id"]])
    only = await tenant.register_case(assignedGroupIds=[jour["id"]])
    untouched = await tenant.register_case()
    assert set(await case_ids(api, tenant.admin_token, search="kungsbacka")) == {
        both["id"],
        only["id"],
    }

    data = await api.data(DELETE_GROUP, {"input": {"id": jour["id"]}}, tenant.admin_token)
    assert data["deleteGroup"] == {"deletedId": jour["id"], "userErrors": []}
    assert [g["id"] for g in await groups(api, tenant)] == [kept["id"]]
    for case, left, still in [
        (both, "Jour Kungsbacka, Service", "Service"),
        (only, "Jour Kungsbacka", None),
    ]:
        read = await api.data(CASE, {"id": case["id"]}, tenant.admin_token)
        assert [g["id"] for g in read["case"]["assignedGroups"]] == ([kept["id"]] if still else [])
        last = read["case"]["events"]["edges"][-1]["node"]
        assert last["action"] == "UPDATED"
        assert last["changes"] == [{"field": "assignedGroups", "from": left, "to": still}]
    read = await api.data(CASE, {"id": untouched["id"]}, tenant.admin_token)
    assert [e["node"]["action"] for e in read["case"]["events"]["edges"]] == ["REGISTERED"]
    assert await case_ids(api, tenant.admin_token, search="kungsbacka") == []
    assert await case_ids(api, erik["token"], scope="MINE") == []
    again = await api.data(DELETE_GROUP, {"input": {"id": jour["id"]}}, tenant.admin_token)
    assert errors(again, "deleteGroup") == {("input", "id"): "NOT_FOUND"}
