"""The pages clients read most cost the same few SQL statements, whatever their size: a case's
detail page, the lobby and the customer list (the table view has its own test,
test_case_table_statements.py)."""

from __future__ import annotations

from typing import Any

from tests.support.client import Api, Tenant

SMALL, LARGE = 5, 30

DETAIL_PAGE = """query($id: ID!, $first: Int) { case(id: $id) {
  id number title status { name } customer { name } contact { name } tags
  links { kind case { number title } }
  tasks { id title done assignee { name } }
  events(first: $first) { edges { node { at action actorName changes { field from to } } } }
  comments(first: $first) { edges { node { id body createdAt
    author { id name } mentions { id name } attachments { id } } } } } }"""
LOBBY = """query($first: Int) { viewer { unreadNotificationCount
  notifications(first: $first) { edges { node { id kind createdAt readAt
    actor { id name } case { id number title status { name } }
    comment { id body author { name } } } } } } }"""
CUSTOMERS = """query($first: Int) { customers(first: $first) { edges { node {
  id name location { lat lng }
  contacts { id name email customer { name } }
  objects(first: 3) { edges { node { id name customer { name } } } } } } } }"""


async def _statements(
    api: Api, query: str, variables: dict[str, Any], token: str, size: int
) -> tuple[int, dict[str, Any]]:
    async with api.counting_statements() as counter:
        data = await api.data(query, {**variables, "first": size}, token)
    return counter.count, data


async def _same_at_both_sizes(
    api: Api, query: str, variables: dict[str, Any], token: str, most: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    small_count, small = await _statements(api, query, variables, token, SMALL)
    large_count, large = await _statements(api, query, variables, token, LARGE)
    assert small_count == large_count, (small_count, large_count)
    # Sign-in, the root rows and one batch per relation: nowhere near one per item.
    assert large_count <= most, large_count
    return small, large


async def test_a_cases_detail_page_costs_the_same_at_any_page_size(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara Nilsson", handle="sara")
    erik = await tenant.create_user("Erik Johansson", handle="erik")
    customer = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_contact(customer["id"], "Karin Svensson")
    case = await tenant.register_case(
        title="Läcka", customerId=customer["id"], contactId=contact["id"]
    )
    other = await tenant.register_case(title="Fukt i källaren")
    await api.data(
        """mutation($c: ID!, $o: ID!) {
          linkCases(input: {caseId: $c, otherCaseId: $o, kind: RELATES_TO}) { userErrors { code } }
          setCaseTags(input: {caseId: $c, tags: ["vatten", "källare"]}) { userErrors { code } } }""",
        {"c": case["id"], "o": other["id"]},
        tenant.admin_token,
    )
    for i in range(LARGE):
        who = (sara, erik)[i % 2]
        await tenant.add_comment(case["id"], f"Kommentar {i} till @erik och @sara", who["token"])
        await api.data(
            "mutation($c: ID!, $t: String!) { addTask(input: {caseId: $c, title: $t}) { userErrors { code } } }",
            {"c": case["id"], "t": f"Uppgift {i}"},
            tenant.admin_token,
        )
    small, large = await _same_at_both_sizes(
        api, DETAIL_PAGE, {"id": case["id"]}, tenant.admin_token, most=16
    )
    assert len(small["case"]["comments"]["edges"]) == SMALL
    assert len(large["case"]["comments"]["edges"]) == LARGE
    assert len(large["case"]["events"]["edges"]) == LARGE
    assert all(len(e["node"]["mentions"]) == 2 for e in large["case"]["comments"]["edges"])
    assert large["case"]["links"] == [
        {"kind": "RELATES_TO", "case": {"number": other["number"], "title": "Fukt i källaren"}}
    ]


async def test_the_lobby_costs_the_same_at_any_page_size(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara Nilsson", handle="sara")
    erik = await tenant.create_user("Erik Johansson")
    cases = [(await tenant.register_case(title=f"Ärende {i}"))["id"] for i in range(5)]
    for i in range(LARGE):
        await tenant.add_comment(cases[i % 5], f"@sara titta på {i}", erik["token"])
    small, large = await _same_at_both_sizes(api, LOBBY, {}, sara["token"], most=10)
    assert len(small["viewer"]["notifications"]["edges"]) == SMALL
    nodes = [e["node"] for e in large["viewer"]["notifications"]["edges"]]
    assert len(nodes) == LARGE
    assert all(n["actor"]["name"] == "Erik Johansson" and n["case"]["number"] for n in nodes)
    assert all(n["comment"]["author"] == {"name": "Erik Johansson"} for n in nodes)


async def _customer_with_contact_and_objects(tenant: Tenant, i: int) -> None:
    customer = await tenant.create_customer(f"Kund {i:02}", location={"lat": 57.7, "lng": 11.9})
    await tenant.create_contact(customer["id"], f"Kontakt {i}", f"kontakt{i}@example.se")
    for n in range(2):
        await tenant.create_object(f"Objekt {i}.{n}", customerId=customer["id"])


async def test_the_customer_list_costs_the_same_at_any_page_size(api: Api) -> None:
    tenant = await api.new_tenant()
    for i in range(LARGE):
        await _customer_with_contact_and_objects(tenant, i)
    small, large = await _same_at_both_sizes(api, CUSTOMERS, {}, tenant.admin_token, most=8)
    assert len(small["customers"]["edges"]) == SMALL
    nodes = [e["node"] for e in large["customers"]["edges"]]
    assert len(nodes) == LARGE
    assert all(len(n["contacts"]) == 1 and len(n["objects"]["edges"]) == 2 for n in nodes)
    assert all(n["contacts"][0]["customer"]["name"] == n["name"] for n in nodes)


async def test_a_connection_read_for_many_parents_pages_and_counts_each_on_its_own(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    neighbour = await api.new_tenant("Grannen AB")
    owned = {}
    for i, count in enumerate([0, 1, 3]):
        customer = await tenant.create_customer(f"Kund {i}")
        owned[customer["name"]] = [
            (await tenant.create_object(f"Objekt {i}.{n}", customerId=customer["id"]))["name"]
            for n in range(count)
        ]
    # Another tenant's objects, numbered between ours, never show.
    theirs = await neighbour.create_customer("Kund 9")
    await neighbour.create_object("Grannens objekt", customerId=theirs["id"])
    query = """query($after: String) { customers(first: 10) { edges { node { name
      objects(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage }
        edges { cursor node { name } } } } } } }"""
    data = await api.data(query, {"after": None}, tenant.admin_token)
    pages = {e["node"]["name"]: e["node"]["objects"] for e in data["customers"]["edges"]}
    assert {name: [e["node"]["name"] for e in page["edges"]] for name, page in pages.items()} == {
        name: names[:2] for name, names in owned.items()
    }
    assert {name: page["totalCount"] for name, page in pages.items()} == {
        name: len(names) for name, names in owned.items()
    }
    assert [pages[name]["pageInfo"]["hasNextPage"] for name in sorted(pages)] == [
        False,
        False,
        True,
    ]
    # One cursor for every customer: each pages on after it in its own list.
    cursor = pages["Kund 2"]["edges"][-1]["cursor"]
    data = await api.data(query, {"after": cursor}, tenant.admin_token)
    pages = {e["node"]["name"]: e["node"]["objects"] for e in data["customers"]["edges"]}
    assert [e["node"]["name"] for e in pages["Kund 2"]["edges"]] == ["Objekt 2.2"]
    assert pages["Kund 2"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    assert pages["Kund 1"]["edges"] == []
    assert await api.error_codes(query, {"after": "inte-en-cursor"}, tenant.admin_token) == [
        "BAD_USER_INPUT"
    ]


async def test_the_table_view_with_each_cases_comments_costs_the_same_at_any_page_size(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    await tenant.create_user("Sara Nilsson", handle="sara")
    for i in range(LARGE):
        case = await tenant.register_case(title=f"Ärende {i}")
        for n in range(2):
            await tenant.add_comment(case["id"], f"@sara kommentar {n}")
    query = """query($first: Int) { cases(first: $first) { edges { node { number
      comments(first: 5) { totalCount edges { node { body author { name } mentions { name } } } }
      events(first: 5) { edges { node { action } } } } } } }"""
    small, large = await _same_at_both_sizes(api, query, {}, tenant.admin_token, most=12)
    assert len(small["cases"]["edges"]) == SMALL
    nodes = [e["node"] for e in large["cases"]["edges"]]
    assert len(nodes) == LARGE
    assert all(n["comments"]["totalCount"] == 2 for n in nodes)
    assert all(
        [c["node"]["mentions"] for c in n["comments"]["edges"]] == [[{"name": "Sara Nilsson"}]] * 2
        for n in nodes
    )
    assert all(n["events"]["edges"][0]["node"]["action"] == "REGISTERED" for n in nodes)
