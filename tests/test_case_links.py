"""Linked cases: each side sees its kind, one link per pair, one parent, no cycles."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.client import Api, Tenant
from tests.support.introspection import schema_types

LINK = """mutation($input: LinkCasesInput!) { linkCases(input: $input) {
  case { id links { kind case { id number } } } userErrors { field message code } } }"""
UNLINK = """mutation($input: UnlinkCasesInput!) { unlinkCases(input: $input) {
  case { id links { kind case { id } } } userErrors { field message code } } }"""
LINKS = """query($id: ID!) { case(id: $id) { number links { kind case { id number title } }
  events { edges { node { action changes { field from to } } } } } }"""
CASES_WITH_LINKS = """query($first: Int) { cases(first: $first) { edges { node { id
  links { kind case { id number status { name } } } } } } }"""


async def link(
    tenant: Tenant, case_id: str, other_id: str, kind: str, token: str | None = None
) -> dict[str, Any]:
    data = await tenant.api.data(
        LINK,
        {"input": {"caseId": case_id, "otherCaseId": other_id, "kind": kind}},
        token or tenant.admin_token,
    )
    payload: dict[str, Any] = data["linkCases"]
    return payload


async def unlink(tenant: Tenant, case_id: str, other_id: str) -> dict[str, Any]:
    data = await tenant.api.data(
        UNLINK, {"input": {"caseId": case_id, "otherCaseId": other_id}}, tenant.admin_token
    )
    payload: dict[str, Any] = data["unlinkCases"]
    return payload


async def links_of(tenant: Tenant, case_id: str) -> list[tuple[str, str]]:
    """(kind, other case's title) for each link, as the case shows them."""
    data = await tenant.api.data(LINKS, {"id": case_id}, tenant.admin_token)
    return [(link["kind"], link["case"]["title"]) for link in data["case"]["links"]]


async def events_of(tenant: Tenant, case_id: str) -> list[dict[str, Any]]:
    data = await tenant.api.data(LINKS, {"id": case_id}, tenant.admin_token)
    return [e["node"] for e in data["case"]["events"]["edges"]]


async def cases(tenant: Tenant, *titles: str) -> dict[str, dict[str, Any]]:
    """Cases registered in the order given (so numbered in that order), by title."""
    return {title: await tenant.register_case(title=title) for title in titles}


def ref(case: dict[str, Any]) -> dict[str, Any]:
    return {"id": case["id"], "number": case["number"]}


def errors(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_each_side_shows_its_kind_ordered_by_the_other_cases_number(api: Api) -> None:
    tenant = await api.new_tenant()
    c = await cases(tenant, "Läcka källare", "Läcka tvättstuga", "Stambyte", "Läcka hus B")
    main = c["Läcka hus B"]["id"]

    linked = await link(tenant, main, c["Läcka tvättstuga"]["id"], "DUPLICATE_OF")
    assert linked["userErrors"] == []
    assert await link(tenant, main, c["Stambyte"]["id"], "CHILD_OF") == {
        "case": {
            "id": main,
            "links": [
                {"kind": "DUPLICATE_OF", "case": ref(c["Läcka tvättstuga"])},
                {"kind": "CHILD_OF", "case": ref(c["Stambyte"])},
            ],
        },
        "userErrors": [],
    }
    await link(tenant, c["Läcka källare"]["id"], main, "RELATES_TO")

    # By the other case's number, whichever was linked first.
    assert await links_of(tenant, main) == [
        ("RELATES_TO", "Läcka källare"),
        ("DUPLICATE_OF", "Läcka tvättstuga"),
        ("CHILD_OF", "Stambyte"),
    ]
    assert await links_of(tenant, c["Läcka tvättstuga"]["id"]) == [("DUPLICATED_BY", "Läcka hus B")]
    assert await links_of(tenant, c["Stambyte"]["id"]) == [("PARENT_OF", "Läcka hus B")]
    assert await links_of(tenant, c["Läcka källare"]["id"]) == [("RELATES_TO", "Läcka hus B")]

    # Both cases log it, each naming the other by number.
    number = str(c["Läcka hus B"]["number"])
    assert (await events_of(tenant, c["Stambyte"]["id"]))[-1] == {
        "action": "LINKED",
        "changes": [{"field": "parentOf", "from": None, "to": number}],
    }
    assert (await events_of(tenant, main))[-1] == {
        "action": "LINKED",
        "changes": [{"field": "relatesTo", "from": None, "to": str(c["Läcka källare"]["number"])}],
    }


async def test_linking_again_replaces_the_link_and_unlinking_removes_it(api: Api) -> None:
    tenant = await api.new_tenant()
    c = await cases(tenant, "Första", "Andra")
    first, second = c["Första"]["id"], c["Andra"]["id"]
    await link(tenant, first, second, "RELATES_TO")
    await link(tenant, second, first, "DUPLICATE_OF")
    assert await links_of(tenant, first) == [("DUPLICATED_BY", "Andra")]
    assert await links_of(tenant, second) == [("DUPLICATE_OF", "Första")]
    first_number = str(c["Första"]["number"])
    assert (await events_of(tenant, second))[-1] == {
        "action": "LINKED",
        "changes": [
            {"field": "relatesTo", "from": first_number, "to": None},
            {"field": "duplicateOf", "from": None, "to": first_number},
        ],
    }
    # The same link again changes nothing and logs nothing.
    logged = len(await events_of(tenant, first))
    assert errors(await link(tenant, first, second, "DUPLICATED_BY")) == []
    assert len(await events_of(tenant, first)) == logged

    unlinked = await unlink(tenant, first, second)
    assert unlinked == {"case": {"id": first, "links": []}, "userErrors": []}
    assert await links_of(tenant, second) == []
    for case_id, field, other in [
        (first, "duplicatedBy", c["Andra"]),
        (second, "duplicateOf", c["Första"]),
    ]:
        assert (await events_of(tenant, case_id))[-1] == {
            "action": "UNLINKED",
            "changes": [{"field": field, "from": str(other["number"]), "to": None}],
        }
    # Unlinking what is not linked is fine, and logs nothing.
    logged = len(await events_of(tenant, first))
    assert await unlink(tenant, second, first) == {
        "case": {"id": second, "links": []},
        "userErrors": [],
    }
    assert len(await events_of(tenant, first)) == logged


async def test_a_case_has_one_parent_and_no_case_is_its_own_ancestor(api: Api) -> None:
    tenant = await api.new_tenant()
    c = await cases(tenant, "Stambyte", "Trapphus A", "Lägenhet 1101", "Renovering")
    building, stairs, flat = c["Stambyte"]["id"], c["Trapphus A"]["id"], c["Lägenhet 1101"]["id"]
    assert errors(await link(tenant, building, stairs, "PARENT_OF")) == []
    assert errors(await link(tenant, flat, stairs, "CHILD_OF")) == []

    second_parent = [(["input", "kind"], "INVALID")]
    assert errors(await link(tenant, flat, c["Renovering"]["id"], "CHILD_OF")) == second_parent
    assert errors(await link(tenant, c["Renovering"]["id"], flat, "PARENT_OF")) == second_parent
    cycle = [(["input", "kind"], "INVALID")]
    assert errors(await link(tenant, flat, building, "PARENT_OF")) == cycle
    assert errors(await link(tenant, building, flat, "CHILD_OF")) == cycle
    assert errors(await link(tenant, stairs, building, "PARENT_OF")) == []  # replaces, turned
    assert await links_of(tenant, building) == [("CHILD_OF", "Trapphus A")]
    # Nothing written by the refused ones.
    assert await links_of(tenant, flat) == [("CHILD_OF", "Trapphus A")]
    assert await links_of(tenant, c["Renovering"]["id"]) == []
    # A relation is no parent: a cycle of those is fine.
    assert errors(await link(tenant, flat, building, "RELATES_TO")) == []


async def test_itself_another_tenants_case_and_the_portal_are_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    other_tenant = await api.new_tenant("Annan AB")
    customer = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_portal_contact(customer["id"])
    mine = await tenant.register_case(
        title="Min", customerId=customer["id"], contactId=contact["id"], visibleInPortal=True
    )
    theirs = await other_tenant.register_case(title="Deras")

    assert errors(await link(tenant, mine["id"], mine["id"], "RELATES_TO")) == [
        (["input", "otherCaseId"], "INVALID")
    ]
    assert errors(await link(tenant, mine["id"], theirs["id"], "RELATES_TO")) == [
        (["input", "otherCaseId"], "NOT_FOUND")
    ]
    assert errors(await link(tenant, theirs["id"], mine["id"], "PARENT_OF")) == [
        (["input", "caseId"], "NOT_FOUND")
    ]
    assert errors(await unlink(tenant, mine["id"], theirs["id"])) == [
        (["input", "otherCaseId"], "NOT_FOUND")
    ]
    assert errors(await link(tenant, mine["id"], "not-an-id", "RELATES_TO")) == [
        (["input", "otherCaseId"], "NOT_FOUND")
    ]
    assert await links_of(other_tenant, theirs["id"]) == []

    portal = contact["token"]
    other = await tenant.register_case(title="Annan")
    for query, variables in [
        (LINK, {"caseId": mine["id"], "otherCaseId": other["id"], "kind": "RELATES_TO"}),
        (UNLINK, {"caseId": mine["id"], "otherCaseId": other["id"]}),
    ]:
        assert await api.error_codes(query, {"input": variables}, portal) == ["FORBIDDEN"]
    assert await links_of(tenant, mine["id"]) == []
    fields = schema_types()["PortalCase"]["fields"]
    assert {"links", "mergedInto"}.isdisjoint(f["name"] for f in fields)


async def test_links_of_a_page_of_cases_cost_the_same_statements_at_any_size(api: Api) -> None:
    tenant = await api.new_tenant()
    hub = await tenant.register_case(title="Nav")
    for i in range(12):
        spoke = await tenant.register_case(title=f"Eker {i}")
        await link(tenant, spoke["id"], hub["id"], "CHILD_OF" if i % 2 else "RELATES_TO")

    async def statements(first: int) -> int:
        async with api.counting_statements() as counter:
            data = await api.data(CASES_WITH_LINKS, {"first": first}, tenant.admin_token)
        edges = data["cases"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["links"]) == 1 for e in edges)
        return counter.count

    assert await statements(2) == await statements(12)


async def test_concurrent_links_keep_one_parent_and_no_cycle(api: Api) -> None:
    tenant = await api.new_tenant()
    child = await tenant.register_case(title="Barn")
    parents = [await tenant.register_case(title=f"Förälder {i}") for i in range(12)]
    results = await asyncio.gather(
        *(link(tenant, child["id"], p["id"], "CHILD_OF") for p in parents)
    )
    assert sorted(len(r["userErrors"]) for r in results) == [0] + [1] * 11
    assert [kind for kind, _ in await links_of(tenant, child["id"])] == ["CHILD_OF"]

    # Two chains, a → b and c → d; b → c and d → a at once would close a → b → c → d → a.
    for _ in range(4):
        a, b, c, d = [(await tenant.register_case(title=t))["id"] for t in "abcd"]
        await link(tenant, a, b, "PARENT_OF")
        await link(tenant, c, d, "PARENT_OF")
        closing = await asyncio.gather(
            link(tenant, b, c, "PARENT_OF"), link(tenant, d, a, "PARENT_OF")
        )
        assert sorted(errors(r) for r in closing) == [[], [(["input", "kind"], "INVALID")]]

    # One pair, many kinds at once: one link remains, as the last one wrote it.
    first, second = [(await tenant.register_case(title=t))["id"] for t in ("x", "y")]
    kinds = ["RELATES_TO", "DUPLICATE_OF", "DUPLICATED_BY", "PARENT_OF", "CHILD_OF"] * 3
    results = await asyncio.gather(*(link(tenant, first, second, k) for k in kinds))
    assert all(r["userErrors"] == [] for r in results)
    assert len(await links_of(tenant, first)) == 1
    assert len(await links_of(tenant, second)) == 1
