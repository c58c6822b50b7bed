"""The table view: scope, filters, search, ordering and keyset pagination."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import UPDATE
from tests.support.client import Api, Tenant

CASES = """query($scope: CaseScope, $filter: CaseFilter, $search: String, $orderBy: [CaseOrder!],
               $first: Int, $after: String) {
  cases(scope: $scope, filter: $filter, search: $search, orderBy: $orderBy, first: $first,
        after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id number title } } } }"""


async def titles(api: Api, token: str, **arguments: Any) -> list[str]:
    data = await api.data(CASES, {"first": 100, **arguments}, token)
    return [e["node"]["title"] for e in data["cases"]["edges"]]


async def test_newest_first_with_a_total(api: Api) -> None:
    tenant = await api.new_tenant()
    for title in ("Första", "Andra", "Tredje"):
        await tenant.register_case(title=title)
    data = await api.data(CASES, {"first": 2}, tenant.admin_token)
    assert data["cases"]["totalCount"] == 3
    assert [e["node"]["title"] for e in data["cases"]["edges"]] == ["Tredje", "Andra"]
    assert data["cases"]["pageInfo"]["hasNextPage"] is True


async def test_mine_is_responsible_assigned_or_in_an_assigned_group(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    jour = await tenant.create_group("Fastighetsjour", [erik["id"], sara["id"]])
    service = await tenant.create_group("Service", [sara["id"]])
    await tenant.register_case(title="Ansvarig", responsibleId=erik["id"])
    await tenant.register_case(title="Tilldelad", assignedUserIds=[erik["id"]])
    await tenant.register_case(title="Via grupp", assignedGroupIds=[jour["id"]])
    await tenant.register_case(title="Annan grupp", assignedGroupIds=[service["id"]])
    await tenant.register_case(title="Saras", assignedUserIds=[sara["id"]])
    await tenant.register_case(title="Ingens")
    assert sorted(await titles(api, erik["token"], scope="MINE")) == [
        "Ansvarig",
        "Tilldelad",
        "Via grupp",
    ]
    assert sorted(await titles(api, sara["token"], scope="MINE")) == [
        "Annan grupp",
        "Saras",
        "Via grupp",
    ]
    assert len(await titles(api, erik["token"], scope="ALL")) == 6
    assert len(await titles(api, erik["token"])) == 6, "ALL is the default"


async def test_every_filter(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    jour = await tenant.create_group("Fastighetsjour", [erik["id"]])
    solbacken = await tenant.create_customer("Brf Solbacken")
    kvarnen = await tenant.create_customer("Kvarnen")
    o = await tenant.options()
    await tenant.register_case(
        title="A",
        statusId=o["statuses"]["Pågående"],
        typeId=o["types"]["Service"],
        priorityId=o["priorities"]["Hög"],
        customerId=solbacken["id"],
        assignedUserIds=[erik["id"]],
        deadline="2027-01-10T00:00:00Z",
    )
    await tenant.register_case(
        title="B",
        statusId=o["statuses"]["Avslutad"],
        typeId=o["types"]["Offert"],
        customerId=kvarnen["id"],
        assignedGroupIds=[jour["id"]],
        deadline="2027-03-10T00:00:00Z",
    )
    await tenant.register_case(title="C", priorityId=o["priorities"]["Hög"])
    token = erik["token"]

    async def filtered(**criteria: Any) -> list[str]:
        return sorted(await titles(api, token, filter=criteria))

    assert await filtered(statusIds=[o["statuses"]["Pågående"], o["statuses"]["Ny"]]) == ["A", "C"]
    assert await filtered(typeIds=[o["types"]["Offert"]]) == ["B"]
    assert await filtered(priorityIds=[o["priorities"]["Hög"]]) == ["A", "C"]
    assert await filtered(customerIds=[solbacken["id"], kvarnen["id"]]) == ["A", "B"]
    assert await filtered(assigneeUserIds=[erik["id"]]) == ["A"]
    assert await filtered(assigneeGroupIds=[jour["id"]]) == ["B"]
    assert await filtered(open=True) == ["A", "C"]
    assert await filtered(open=False) == ["B"]
    assert await filtered(deadlineBefore="2027-02-01T00:00:00Z") == ["A"]
    assert await filtered(deadlineAfter="2027-02-01T00:00:00Z") == ["B"]
    assert await filtered(
        open=True, priorityIds=[o["priorities"]["Hög"]], customerIds=[solbacken["id"]]
    ) == ["A"]
    assert await filtered(statusIds=[]) == [], "an empty list matches nothing"
    assert await filtered(customerIds=["not-an-id"]) == []


async def test_search_is_case_insensitive_with_swedish_letters(api: Api) -> None:
    tenant = await api.new_tenant()
    öberg = await tenant.create_user("Lars Öberg")
    åre = await tenant.create_customer("Åre Fjällstugor AB")
    contact = await tenant.create_contact(åre["id"], "Nils Sjöberg")
    obj = await tenant.create_object("Värmepanna, stuga 4", customerId=åre["id"])
    await tenant.register_case(title="ÅNGA I BASTUN", description="Ventilen läcker")
    await tenant.register_case(
        title="Kall stuga", customerId=åre["id"], contactId=contact["id"], objectId=obj["id"]
    )
    await tenant.register_case(title="Ärende för Lars", assignedUserIds=[öberg["id"]])
    await tenant.register_case(title="Något annat")
    token = tenant.admin_token
    assert await titles(api, token, search="ånga i") == ["ÅNGA I BASTUN"]
    assert await titles(api, token, search="VENTILEN LÄCKER") == ["ÅNGA I BASTUN"]
    assert await titles(api, token, search="fjällstugor") == ["Kall stuga"]
    assert await titles(api, token, search="SJÖBERG") == ["Kall stuga"]
    assert await titles(api, token, search="värmepanna") == ["Kall stuga"]
    assert await titles(api, token, search="LARS öBERG") == ["Ärende för Lars"]
    assert await titles(api, token, search="ärende") == ["Ärende för Lars"]
    assert sorted(await titles(api, token, search="normal")) == sorted(
        ["ÅNGA I BASTUN", "Kall stuga", "Ärende för Lars", "Något annat"]
    ), "the priority's name"
    third = (await api.data(CASES, {"search": "3"}, token))["cases"]["edges"]
    assert [e["node"]["number"] for e in third] == [3], "the case number"
    # Search keeps up with changes.
    case_id = (await api.data(CASES, {"search": "något annat"}, token))["cases"]["edges"][0][
        "node"
    ]["id"]
    await api.data(UPDATE, {"input": {"id": case_id, "title": "Läckande tak"}}, token)
    assert await titles(api, token, search="läckande tak") == ["Läckande tak"]
    assert await titles(api, token, search="något annat") == []


async def test_search_takes_percent_underscore_and_backslash_literally(api: Api) -> None:
    tenant = await api.new_tenant()
    for title in (
        "Rabatt 100% klar",
        "Rabatt 100 klar",
        "fil_namn",
        "filnamn",
        "C:\\temp",
        "C:temp",
    ):
        await tenant.register_case(title=title)
    token = tenant.admin_token
    assert await titles(api, token, search="100%") == ["Rabatt 100% klar"]
    assert await titles(api, token, search="%") == ["Rabatt 100% klar"]
    assert await titles(api, token, search="l_n") == ["fil_namn"]
    assert await titles(api, token, search="_") == ["fil_namn"]
    assert await titles(api, token, search="c:\\") == ["C:\\temp"]
    assert await titles(api, token, search="\\") == ["C:\\temp"]


async def _ordered_cases(tenant: Tenant) -> dict[str, str]:
    o = await tenant.options()
    alfa = await tenant.create_customer("Alfa AB")
    beta = await tenant.create_customer("Beta AB")
    cases = [
        (
            "Bravo",
            o["priorities"]["Akut"],
            o["statuses"]["Avslutad"],
            o["types"]["Service"],
            alfa,
            "2027-03-01T00:00:00Z",
        ),
        (
            "alfa",
            o["priorities"]["Låg"],
            o["statuses"]["Pågående"],
            o["types"]["Felanmälan"],
            beta,
            None,
        ),
        (
            "Charlie",
            o["priorities"]["Akut"],
            o["statuses"]["Ny"],
            None,
            None,
            "2027-01-01T00:00:00Z",
        ),
        (
            "delta",
            None,
            o["statuses"]["Pågående"],
            o["types"]["Offert"],
            alfa,
            "2027-02-01T00:00:00Z",
        ),
    ]
    ids = {}
    for title, priority, status, type_id, customer, deadline in cases:
        given: dict[str, Any] = {"title": title, "statusId": status, "priorityId": priority}
        if type_id:
            given["typeId"] = type_id
        if customer:
            given["customerId"] = customer["id"]
        if deadline:
            given["deadline"] = deadline
        ids[title] = (await tenant.register_case(**given))["id"]
    # Priority is defaulted where not given: clear it on "delta".
    await tenant.api.data(
        UPDATE, {"input": {"id": ids["delta"], "priorityId": None}}, tenant.admin_token
    )
    return ids


async def test_order_by_any_column(api: Api) -> None:
    tenant = await api.new_tenant()
    await _ordered_cases(tenant)
    token = tenant.admin_token

    async def order(*keys: tuple[str, str]) -> list[str]:
        return await titles(api, token, orderBy=[{"field": f, "direction": d} for f, d in keys])

    assert await order(("NUMBER", "ASC")) == ["Bravo", "alfa", "Charlie", "delta"]
    assert await order(("NUMBER", "DESC")) == ["delta", "Charlie", "alfa", "Bravo"]
    assert await order(("CREATED_AT", "ASC")) == ["Bravo", "alfa", "Charlie", "delta"]
    assert await order(("TITLE", "ASC")) == ["alfa", "Bravo", "Charlie", "delta"]
    # By the configured order (Låg, Normal, Hög, Akut); a case without one comes last.
    assert await order(("PRIORITY", "ASC"), ("NUMBER", "ASC")) == [
        "alfa",
        "Bravo",
        "Charlie",
        "delta",
    ]
    assert await order(("PRIORITY", "DESC"), ("NUMBER", "ASC")) == [
        "Bravo",
        "Charlie",
        "alfa",
        "delta",
    ]
    assert await order(("STATUS", "ASC"), ("TITLE", "DESC")) == [
        "Charlie",
        "delta",
        "alfa",
        "Bravo",
    ]
    assert await order(("TYPE", "ASC")) == ["alfa", "delta", "Bravo", "Charlie"]
    assert await order(("CUSTOMER", "ASC"), ("NUMBER", "DESC")) == [
        "delta",
        "Bravo",
        "alfa",
        "Charlie",
    ]
    assert await order(("DEADLINE", "ASC")) == ["Charlie", "delta", "Bravo", "alfa"]
    assert await order(("DEADLINE", "DESC")) == ["Bravo", "delta", "Charlie", "alfa"]
    assert await order(("UPDATED_AT", "DESC")) == ["delta", "Charlie", "alfa", "Bravo"]


async def test_pages_never_skip_or_repeat_while_cases_are_added(api: Api) -> None:
    tenant = await api.new_tenant()
    o = await tenant.options()
    priorities = list(o["priorities"].values())
    for i in range(23):
        await tenant.register_case(title=f"Före {i}", priorityId=priorities[i % 4])
    orders = [
        [],
        [{"field": "PRIORITY", "direction": "ASC"}],
        [{"field": "NUMBER", "direction": "ASC"}],
        [{"field": "TITLE", "direction": "DESC"}, {"field": "DEADLINE", "direction": "ASC"}],
    ]
    added = 0
    for order_by in orders:
        seen: list[str] = []
        after = None
        while True:
            data = await api.data(
                CASES, {"orderBy": order_by, "first": 5, "after": after}, tenant.admin_token
            )
            page = data["cases"]
            seen += [e["node"]["title"] for e in page["edges"]]
            # Cases registered between pages, with the same sort values as those listed.
            for i in range(2):
                added += 1
                await tenant.register_case(title=f"Under {added}", priorityId=priorities[i])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)), f"a case was repeated ordering by {order_by}"
        before = {f"Före {i}" for i in range(23)}
        assert before <= set(seen), f"a case was skipped ordering by {order_by}"


async def test_a_cursor_that_is_not_ours_is_bad_input(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.register_case(title="Ett")
    codes = await api.error_codes(CASES, {"after": "bm90LWEtY3Vyc29y"}, tenant.admin_token)
    assert codes == ["BAD_USER_INPUT"]
