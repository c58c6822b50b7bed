"""Tags on cases: set in order, one spelling per tenant, logged, filtered, searched and counted."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import EVENTS, errors_by_field, mutation
from tests.support.client import Api, Tenant

SET_TAGS = mutation(
    "setCaseTags",
    "SetCaseTagsInput",
    "case { id tags updatedAt } userErrors { field message code }",
)
TAGS = "query($search: String, $first: Int) { tags(search: $search, first: $first) { name count } }"
CASES = """query($filter: CaseFilter, $search: String) {
  cases(filter: $filter, search: $search, first: 100) { edges { node { title tags } } } }"""
CASE_TAGS = "query($id: ID!) { case(id: $id) { tags updatedAt } }"


async def _set(api: Api, token: str, case_id: str, tags: list[str]) -> dict[str, Any]:
    data = await api.data(SET_TAGS, {"input": {"caseId": case_id, "tags": tags}}, token)
    payload: dict[str, Any] = data["setCaseTags"]
    return payload


async def _tagged(api: Api, tenant: Tenant, case_id: str, tags: list[str]) -> list[str]:
    payload = await _set(api, tenant.admin_token, case_id, tags)
    assert payload["userErrors"] == [], payload
    found: list[str] = payload["case"]["tags"]
    return found


async def _tag_events(api: Api, token: str, case_id: str) -> list[dict[str, Any]]:
    data = await api.data(EVENTS, {"id": case_id, "first": 100}, token)
    return [
        edge["node"]["changes"]
        for edge in data["case"]["events"]["edges"]
        if edge["node"]["action"] == "TAGS_CHANGED"
    ]


async def _titles(api: Api, token: str, **arguments: Any) -> list[str]:
    data = await api.data(CASES, arguments, token)
    return sorted(edge["node"]["title"] for edge in data["cases"]["edges"])


async def test_tags_replace_the_list_in_order_once_each_in_one_spelling(api: Api) -> None:
    tenant = await api.new_tenant()
    leak = await tenant.create_case("Läckage i tvättstugan")
    door = await tenant.create_case("Dörren kärvar")

    tags = await _tagged(api, tenant, leak, ["  Åtgärd krävs ", "vvs", "ÅTGÄRD KRÄVS", "Vvs", "X"])
    assert tags == ["Åtgärd krävs", "vvs", "X"]
    # Another case has it: its spelling wins, in any letter case (å, ä, ö too).
    assert await _tagged(api, tenant, door, ["åtgärd KRÄVS", "Lås"]) == ["Åtgärd krävs", "Lås"]
    # Tags no other case has take the spelling given.
    respelled = await _tagged(api, tenant, leak, ["x", "VVS", "ÅTGÄRD krävs"])
    assert respelled == ["x", "VVS", "Åtgärd krävs"]
    assert await _tagged(api, tenant, leak, ["vvs", "xx", "x"]) == ["vvs", "xx", "x"]

    changes = await _tag_events(api, tenant.admin_token, leak)
    assert changes == [
        [{"field": "tags", "from": None, "to": "Åtgärd krävs, vvs, X"}],
        [{"field": "tags", "from": "Åtgärd krävs, vvs, X", "to": "x, VVS, Åtgärd krävs"}],
        [{"field": "tags", "from": "x, VVS, Åtgärd krävs", "to": "vvs, xx, x"}],
    ]
    # The same list again is no change: nothing logged, the case not touched.
    before = (await api.data(CASE_TAGS, {"id": leak}, tenant.admin_token))["case"]
    again = await _set(api, tenant.admin_token, leak, [" vvs", "xx ", "x", "X"])
    assert again["userErrors"] == [] and again["case"]["tags"] == ["vvs", "xx", "x"]
    assert again["case"]["updatedAt"] == before["updatedAt"]
    assert len(await _tag_events(api, tenant.admin_token, leak)) == 3
    # Nor is another case's spelling in another letter case.
    await _tagged(api, tenant, leak, ["vvs", "Åtgärd krävs"])
    assert await _tagged(api, tenant, door, ["ÅTGÄRD KRÄVS", "Lås"]) == ["Åtgärd krävs", "Lås"]
    assert len(await _tag_events(api, tenant.admin_token, door)) == 1
    await _tagged(api, tenant, leak, ["vvs", "xx", "x"])
    # Emptied: logged with an empty side as null.
    assert await _tagged(api, tenant, leak, []) == []
    last = (await _tag_events(api, tenant.admin_token, leak))[-1]
    assert last == [{"field": "tags", "from": "vvs, xx, x", "to": None}]


async def test_bad_tags_and_other_cases_write_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    case = await tenant.create_case()
    await _tagged(api, tenant, case, ["Akut"])
    for bad in [["ok", "   "], [""], ["a" * 51], ["rad\nbrytning"], ["ok", "\t"]]:
        payload = await _set(api, tenant.admin_token, case, bad)
        assert payload["case"] is None
        assert errors_by_field(payload) == {("input", "tags"): "INVALID"}, bad
    assert await _tagged(api, tenant, case, ["a" * 50]) == ["a" * 50]
    assert len(await _tag_events(api, tenant.admin_token, case)) == 2

    other = await api.new_tenant("Annan Fastighet AB")
    theirs = await other.create_case("Deras ärende")
    for case_id in [theirs, "not-an-id", "Q2FzZTox"]:
        payload = await _set(api, tenant.admin_token, case_id, ["Akut"])
        assert errors_by_field(payload) == {("input", "caseId"): "NOT_FOUND"}
    data = await api.data(CASE_TAGS, {"id": theirs}, other.admin_token)
    assert data["case"]["tags"] == []
    assert (await api.data(TAGS, token=other.admin_token))["tags"] == []


async def test_the_table_filters_and_searches_by_tags(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    leak = await tenant.create_case("Läckage")
    drip = await tenant.create_case("Droppande kran")
    await tenant.create_case("Otaggat")
    await _tagged(api, tenant, leak, ["Vatten", "Akut"])
    await _tagged(api, tenant, drip, ["vatten", "Försäkringsärende"])

    assert await _titles(api, token, filter={"tags": ["VATTEN"]}) == ["Droppande kran", "Läckage"]
    assert await _titles(api, token, filter={"tags": ["vatten", " akut "]}) == ["Läckage"]
    assert await _titles(api, token, filter={"tags": ["vatten", "okänd"]}) == []
    assert len(await _titles(api, token, filter={"tags": []})) == 3
    # Search matches tags by substring, in any letter case, and follows their changes.
    assert await _titles(api, token, search="FÖRSÄKRING") == ["Droppande kran"]
    await _tagged(api, tenant, drip, ["vatten"])
    assert await _titles(api, token, search="försäkring") == []
    await _tagged(api, tenant, drip, ["Vatten", "Åska"])
    assert await _titles(api, token, search="åsk") == ["Droppande kran"]


async def test_the_tenants_tags_in_use_most_used_first(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    cases = [await tenant.create_case(f"Ärende {i}") for i in range(4)]
    await _tagged(api, tenant, cases[0], ["Vatten", "Akut", "Ö-märkt"])
    await _tagged(api, tenant, cases[1], ["vatten", "Bruten"])
    await _tagged(api, tenant, cases[2], ["VATTEN", "akut", "Borttagen"])
    await _tagged(api, tenant, cases[2], ["VATTEN", "akut"])  # "Borttagen" is in use no more

    found = (await api.data(TAGS, token=token))["tags"]
    assert found == [
        {"name": "Vatten", "count": 3},
        {"name": "Akut", "count": 2},
        {"name": "Bruten", "count": 1},
        {"name": "Ö-märkt", "count": 1},
    ]
    assert (await api.data(TAGS, {"first": 2}, token))["tags"] == found[:2]
    assert (await api.data(TAGS, {"first": 0}, token))["tags"] == []
    assert (await api.data(TAGS, {"search": "ö-MÄ"}, token))["tags"] == [found[3]]
    assert (await api.data(TAGS, {"search": "U"}, token))["tags"] == found[1:3]
    assert (await api.data(TAGS, {"search": "%"}, token))["tags"] == []
    for first in (-1, 101):
        codes = await api.error_codes(TAGS, {"first": first}, token)
        assert codes == ["BAD_USER_INPUT"], first
    member = await tenant.create_user("Vanlig Medlem")
    assert (await api.data(TAGS, token=member["token"]))["tags"] == found


async def test_portal_viewers_reach_no_tags(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    case = await tenant.register_case(
        title="Synligt", customerId=customer["id"], visibleInPortal=True
    )
    await _tagged(api, tenant, case["id"], ["Intern notering"])
    portal = contact["token"]
    assert await api.error_codes(TAGS, token=portal) == ["FORBIDDEN"]
    assert await api.error_codes(
        SET_TAGS, {"input": {"caseId": case["id"], "tags": []}}, portal
    ) == ["FORBIDDEN"]
    assert await api.error_codes(CASES, {"filter": {"tags": ["intern"]}}, portal) == ["FORBIDDEN"]
    # PortalCase has no tags field at all.
    body = await api.post("{ portalCases { edges { node { id tags } } } }", token=portal)
    assert body["errors"] and "tags" in body["errors"][0]["message"]
    assert await _tagged(api, tenant, case["id"], ["Intern notering"]) == ["Intern notering"]


async def test_a_page_of_tags_costs_one_statement_whatever_its_size(api: Api) -> None:
    tenant = await api.new_tenant()
    for i in range(6):
        case_id = await tenant.create_case(f"Ärende {i}")
        await _tagged(api, tenant, case_id, [f"tagg {i}", "gemensam"])
    # `tasks` is not on the table view's fast path: this page goes through the loaders.
    query = "query($first: Int) { cases(first: $first) { edges { node { tags tasks { id } } } } }"
    counts = []
    for size in (2, 6):
        async with api.counting_statements() as counter:
            data = await api.data(query, {"first": size}, tenant.admin_token)
        assert all(e["node"]["tags"][1] == "gemensam" for e in data["cases"]["edges"])
        counts.append(counter.count)
    assert counts[0] == counts[1]
