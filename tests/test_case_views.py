"""Saved views: mine and the tenant's shared ones, saved whole, applied by `cases(view:)`."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import errors_by_field, mutation
from tests.support.client import Api, Tenant

VIEW_FIELDS = """id name shared owner { id } scope search
  orderBy { field direction }
  filter { statusIds typeIds priorityIds customerIds assigneeUserIds assigneeGroupIds
           projectIds objectIds contactIds responsibleIds open deadlineBefore deadlineAfter
           within { south west north east } tags }"""
SAVE = mutation(
    "saveCaseView",
    "SaveCaseViewInput",
    f"caseView {{ {VIEW_FIELDS} }} userErrors {{ field message code }}",
)
DELETE = mutation("deleteCaseView", "DeleteCaseViewInput", "deletedId userErrors { field code }")
VIEWS = "{ caseViews { id name shared } }"
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on CaseView {{ {VIEW_FIELDS} }} }} }}"
CASES = """query($view: ID, $scope: CaseScope, $filter: CaseFilter, $search: String,
                 $orderBy: [CaseOrder!]) {
  cases(view: $view, scope: $scope, filter: $filter, search: $search, orderBy: $orderBy,
        first: 100) { edges { node { title } } } }"""
SET_TAGS = mutation("setCaseTags", "SetCaseTagsInput", "userErrors { code }")


async def _save(api: Api, token: str, **given: Any) -> dict[str, Any]:
    data = await api.data(SAVE, {"input": given}, token)
    payload: dict[str, Any] = data["saveCaseView"]
    return payload


async def _saved(api: Api, token: str, **given: Any) -> dict[str, Any]:
    payload = await _save(api, token, **given)
    assert payload["userErrors"] == [], payload
    view: dict[str, Any] = payload["caseView"]
    return view


async def _titles(api: Api, token: str, **arguments: Any) -> list[str]:
    data = await api.data(CASES, arguments, token)
    return [edge["node"]["title"] for edge in data["cases"]["edges"]]


async def _names(api: Api, token: str) -> list[str]:
    return [v["name"] for v in (await api.data(VIEWS, token=token))["caseViews"]]


async def _office(api: Api) -> tuple[Tenant, dict[str, Any], dict[str, str]]:
    """A tenant, a member with cases of their own among others, and the statuses by name."""
    tenant = await api.new_tenant()
    member = await tenant.create_user("Åsa Nilsson")
    statuses = (await tenant.options())["statuses"]
    for title, mine, tags in [
        ("Läckage A", True, ["vatten"]),
        ("Läckage B", False, ["Vatten"]),
        ("Läckage C", True, []),
        ("Dörren kärvar", True, ["vatten"]),
    ]:
        case = await tenant.register_case(
            title=title, assignedUserIds=[member["id"]] if mine else []
        )
        tagged = await api.data(
            SET_TAGS, {"input": {"caseId": case["id"], "tags": tags}}, tenant.admin_token
        )
        assert tagged["setCaseTags"]["userErrors"] == []
    return tenant, member, statuses


async def test_a_view_holds_what_was_saved_and_nothing_else(api: Api) -> None:
    tenant, member, statuses = await _office(api)
    group = await tenant.create_group("Jour", [member["id"]])
    customer = await tenant.create_customer()
    view = await _saved(
        api,
        member["token"],
        name="  Mina läckor ",
        scope="MINE",
        filter={
            "statusIds": [statuses["Ny"]],
            "assigneeUserIds": [member["id"]],
            "assigneeGroupIds": [group["id"]],
            "customerIds": [customer["id"]],
            "open": True,
            "deadlineBefore": "2027-01-15T09:00:00+01:00",
            "within": {"south": 55.0, "west": 10.5, "north": 69.5, "east": 24.5},
            "tags": [" Vatten ", "VATTEN", "akut"],
        },
        search="  läck ",
        orderBy=[
            {"field": "DEADLINE", "direction": "ASC"},
            {"field": "TITLE", "direction": "DESC"},
        ],
    )
    assert view["name"] == "Mina läckor" and view["search"] == "läck"
    assert view["shared"] is False and view["scope"] == "MINE"
    assert view["owner"] == {"id": member["id"]}
    assert view["orderBy"] == [
        {"field": "DEADLINE", "direction": "ASC"},
        {"field": "TITLE", "direction": "DESC"},
    ]
    assert view["filter"] == {
        "statusIds": [statuses["Ny"]],
        "typeIds": None,
        "priorityIds": None,
        "customerIds": [customer["id"]],
        "assigneeUserIds": [member["id"]],
        "assigneeGroupIds": [group["id"]],
        "projectIds": None,
        "objectIds": None,
        "contactIds": None,
        "responsibleIds": None,
        "open": True,
        "deadlineBefore": "2027-01-15T08:00:00+00:00",
        "deadlineAfter": None,
        "within": {"south": 55.0, "west": 10.5, "north": 69.5, "east": 24.5},
        "tags": ["Vatten", "akut"],
    }
    assert (await api.data(NODE, {"id": view["id"]}, member["token"]))["node"] == view

    bare = await _saved(api, tenant.admin_token, name="Allt")
    assert bare["scope"] == "ALL" and bare["filter"] is None and bare["search"] is None
    assert bare["orderBy"] == [] and bare["shared"] is False

    # Saved whole: what is not sent now is gone.
    again = await _saved(api, member["token"], id=view["id"], name="Mina", shared=True)
    assert again["id"] == view["id"] and again["owner"] == {"id": member["id"]}
    assert (again["scope"], again["filter"], again["search"], again["orderBy"]) == (
        "ALL",
        None,
        None,
        [],
    )
    assert again["shared"] is True


async def test_cases_apply_the_view_and_the_arguments_given_replace_it(api: Api) -> None:
    tenant, member, _statuses = await _office(api)
    token = member["token"]
    view = await _saved(
        api,
        token,
        name="Mina läckor",
        scope="MINE",
        filter={"tags": ["VATTEN"]},
        search="läckage",
        orderBy=[{"field": "TITLE", "direction": "DESC"}],
    )
    view_id = view["id"]
    assert await _titles(api, token, view=view_id) == ["Läckage A"]
    assert await _titles(api, token, view=view_id, scope="ALL") == ["Läckage B", "Läckage A"]
    assert await _titles(api, token, view=view_id, search="") == ["Läckage A", "Dörren kärvar"]
    assert await _titles(api, token, view=view_id, filter={}) == ["Läckage C", "Läckage A"]
    ascending = [{"field": "TITLE", "direction": "ASC"}]
    assert await _titles(api, token, view=view_id, scope="ALL", orderBy=ascending) == [
        "Läckage A",
        "Läckage B",
    ]
    # Null is "not given": the view's stays.
    assert await _titles(api, token, view=view_id, scope=None, filter=None) == ["Läckage A"]
    # The view's MINE is the viewer's: the admin has no cases of their own.
    shared = await _saved(api, token, id=view_id, name="Mina läckor", scope="MINE", shared=True)
    assert await _titles(api, tenant.admin_token, view=shared["id"]) == []
    # No scope anywhere: every case.
    plain = await _saved(api, token, name="Allt om vatten", filter={"tags": ["vatten"]})
    assert len(await _titles(api, token, view=plain["id"])) == 3
    assert len(await _titles(api, token)) == 4
    assert len(await _titles(api, token, scope="MINE")) == 3


async def test_mine_and_the_shared_ones_by_name(api: Api) -> None:
    tenant, member, _statuses = await _office(api)
    other = await tenant.create_user("Erik Johansson")
    await _saved(api, member["token"], name="Öppna")
    await _saved(api, member["token"], name="Akuta", shared=True)
    await _saved(api, other["token"], name="Eriks egna")
    await _saved(api, other["token"], name="Bevakning", shared=True)
    await _saved(api, tenant.admin_token, name="Chefens", shared=False)
    assert await _names(api, member["token"]) == ["Akuta", "Bevakning", "Öppna"]
    assert await _names(api, other["token"]) == ["Akuta", "Bevakning", "Eriks egna"]
    assert await _names(api, tenant.admin_token) == ["Akuta", "Bevakning", "Chefens"]
    theirs = await api.new_tenant("Annan Fastighet AB")
    await _saved(api, theirs.admin_token, name="Deras delade", shared=True)
    assert await _names(api, theirs.admin_token) == ["Deras delade"]
    assert "Deras delade" not in await _names(api, member["token"])


async def test_others_views_are_changed_only_as_the_rules_say(api: Api) -> None:
    tenant, member, _statuses = await _office(api)
    other = await tenant.create_user("Erik Johansson")
    private = await _saved(api, other["token"], name="Eriks egna", search="läck")
    shared = await _saved(api, other["token"], name="Eriks delade", shared=True)

    for document, given in [(SAVE, {"name": "Tagen"}), (DELETE, {})]:
        for view, code in [(private, "NOT_FOUND"), (shared, "NOT_ALLOWED")]:
            data = await api.data(document, {"input": {"id": view["id"], **given}}, member["token"])
            payload = next(iter(data.values()))
            assert errors_by_field(payload) == {("input", "id"): code}
    # An administrator may change and delete another's shared view, never see a private one.
    renamed = await _saved(api, tenant.admin_token, id=shared["id"], name="Delad", shared=True)
    assert renamed["owner"] == {"id": other["id"]} and renamed["name"] == "Delad"
    refused = await _save(api, tenant.admin_token, id=private["id"], name="Tagen")
    assert errors_by_field(refused) == {("input", "id"): "NOT_FOUND"}
    assert await api.data(NODE, {"id": private["id"]}, tenant.admin_token) == {"node": None}
    assert await api.error_codes(CASES, {"view": private["id"]}, member["token"]) == ["NOT_FOUND"]
    assert await _names(api, other["token"]) == ["Delad", "Eriks egna"]
    newest_first = ["Läckage C", "Läckage B", "Läckage A"]
    assert await _titles(api, other["token"], view=private["id"]) == newest_first

    deleted = await api.data(DELETE, {"input": {"id": shared["id"]}}, tenant.admin_token)
    assert deleted["deleteCaseView"] == {"deletedId": shared["id"], "userErrors": []}
    gone = await api.data(DELETE, {"input": {"id": shared["id"]}}, tenant.admin_token)
    assert errors_by_field(gone["deleteCaseView"]) == {("input", "id"): "NOT_FOUND"}
    mine = await api.data(DELETE, {"input": {"id": private["id"]}}, other["token"])
    assert mine["deleteCaseView"]["deletedId"] == private["id"]
    assert await _names(api, other["token"]) == []

    # Another tenant's views are as if they did not exist.
    theirs = await api.new_tenant("Annan Fastighet AB")
    foreign = await _saved(api, theirs.admin_token, name="Deras", shared=True)
    refused = await _save(api, tenant.admin_token, id=foreign["id"], name="Tagen")
    assert errors_by_field(refused) == {("input", "id"): "NOT_FOUND"}
    assert await api.data(NODE, {"id": foreign["id"]}, tenant.admin_token) == {"node": None}
    for view_id in [foreign["id"], "not-an-id", member["id"]]:
        codes = await api.error_codes(CASES, {"view": view_id}, tenant.admin_token)
        assert codes == ["NOT_FOUND"], view_id
    assert await _names(api, theirs.admin_token) == ["Deras"]


async def test_a_bad_view_writes_nothing(api: Api) -> None:
    _tenant, member, statuses = await _office(api)
    theirs = await api.new_tenant("Annan Fastighet AB")
    their_status = (await theirs.options())["statuses"]["Ny"]
    their_user = await theirs.create_user("Främling")
    token = member["token"]
    for given, expected in [
        ({"name": "  "}, {("input", "name"): "REQUIRED"}),
        (
            {"name": "Fel", "filter": {"statusIds": [statuses["Ny"], their_status]}},
            {("input", "filter", "statusIds"): "NOT_FOUND"},
        ),
        (
            {"name": "Fel", "filter": {"responsibleIds": [their_user["id"]], "typeIds": ["x"]}},
            {
                ("input", "filter", "typeIds"): "NOT_FOUND",
                ("input", "filter", "responsibleIds"): "NOT_FOUND",
            },
        ),
        (
            {"name": "Fel", "filter": {"within": {"south": 60, "west": 0, "north": 50, "east": 1}}},
            {("input", "filter", "within"): "INVALID"},
        ),
        (
            {"name": "Fel", "filter": {"deadlineAfter": "9999-12-31T23:59:59-01:00"}},
            {("input", "filter", "deadlineAfter"): "INVALID"},
        ),
        (
            {"name": "Fel", "filter": {"tags": ["ok", " "]}},
            {("input", "filter", "tags"): "INVALID"},
        ),
        ({"name": "x" * 201}, {("input", "name"): "INVALID"}),
    ]:
        payload = await _save(api, token, **given)
        assert payload["caseView"] is None
        assert errors_by_field(payload) == expected, given
    assert await _names(api, token) == []
    kept = await _saved(api, token, name="Min", search="läck")
    refused = await _save(api, token, id=kept["id"], name="")
    assert errors_by_field(refused) == {("input", "name"): "REQUIRED"}
    assert (await api.data(NODE, {"id": kept["id"]}, token))["node"]["search"] == "läck"


async def test_portal_viewers_reach_no_views(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    view = await _saved(api, tenant.admin_token, name="Delad", shared=True)
    portal = contact["token"]
    assert await api.error_codes(VIEWS, token=portal) == ["FORBIDDEN"]
    assert await api.error_codes(SAVE, {"input": {"name": "Min"}}, portal) == ["FORBIDDEN"]
    assert await api.error_codes(DELETE, {"input": {"id": view["id"]}}, portal) == ["FORBIDDEN"]
    assert await api.error_codes(CASES, {"view": view["id"]}, portal) == ["FORBIDDEN"]
    assert await api.data(NODE, {"id": view["id"]}, portal) == {"node": None}
    assert await _names(api, tenant.admin_token) == ["Delad"]
