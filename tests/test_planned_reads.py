"""The table view answers byte for byte as normal execution does, in a fixed few statements.

A second server over the same database runs with the fast path turned off; every document
here is sent to both and the raw response bodies must be identical.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType, get_named_type

from config.settings import Settings
from graph.ids import pk_of, to_global_id
from graph.reads import extension as fast_extension
from graph.reads import roots as fast_roots
from graph.reads.rows import ROW_TYPES
from graph.resolvers import case_table
from graph.schema import build_schema
from tests.conftest import serve
from tests.support.case_documents import CUSTOM_FIELDS, SAVE_CASE_TYPE
from tests.support.client import Api, Tenant

TABLE_VIEW = """query TableView($view: ID, $scope: CaseScope, $filter: CaseFilter, $search: String,
                          $orderBy: [CaseOrder!], $first: Int, $after: String) {
  cases(view: $view, scope: $scope, filter: $filter, search: $search, orderBy: $orderBy,
        first: $first, after: $after) {
    edges { cursor node {
      id number title tags
      customer { id name } contact { id name } object { id name }
      type { id name color } status { id name color } priority { id name color }
      assignedUsers { id name } assignedGroups { id name } responsible { id name }
      deadline customFields { key label value } } }
    pageInfo { hasNextPage endCursor } } }"""
SHAPES = """query Shapes($first: Int, $withCustomer: Boolean!, $bare: Boolean!) {
  __typename
  list: cases(first: $first, orderBy: [{field: PRIORITY, direction: DESC}]) {
    __typename
    total: totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { ...Row node { ... on Node { id } ... on Case { color visibleInPortal } } }
  } }
fragment Row on CaseEdge {
  cursor
  node {
    __typename
    nr: number
    heading: title
    description createdAt updatedAt
    location { lat lng __typename }
    customer @include(if: $withCustomer) { name id }
    customer @include(if: $withCustomer) { orgNumber }
    project { id name }
    createdBy { handle role }
    status { closed order active }
    priority @skip(if: $bare) { order }
    fields: customFields { value key }
    assignedUsers { email }
  } }"""
WITH_TASKS = """query($first: Int) { cases(first: $first) { edges { node {
  id title tasks { id title } } } } }"""
TOTAL = "query { cases(first: 3) { totalCount edges { node { id } } } }"


def _selection(type_: GraphQLObjectType, depth: int = 0) -> str:
    """Every field of `type_` that a plan reads from rows (or, for an object that is not a
    row, every field), each with its own selection, and `__typename`; rows two relations
    deep select only their own columns, and connections are read at the top only (a
    document has at most 1,000 selections)."""
    declared = ROW_TYPES.get(type_.name)
    names = list(declared.fields) if declared else list(type_.fields)
    parts = ["__typename"]
    for name in names:
        named = get_named_type(type_.fields[name].type)
        if isinstance(named, GraphQLObjectType):
            row = named.name in ROW_TYPES
            if (row and depth >= 2) or (named.name.endswith("Connection") and depth >= 1):
                continue
            parts.append(f"{name} {{ {_selection(named, depth + row)} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def _every_field() -> str:
    case = build_schema()._schema.get_type("Case")
    assert isinstance(case, GraphQLObjectType)
    return f"""query Every($first: Int) {{ cases(first: $first) {{
      __typename totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ __typename cursor node {{ {_selection(case)} }} }} }} }}"""


NO_TOTAL = "query { cases(first: 3) { edges { node { id } } } }"
SET_TAGS = """mutation($input: SetCaseTagsInput!) { setCaseTags(input: $input) {
  userErrors { field message code } } }"""
SAVE_VIEW = """mutation($input: SaveCaseViewInput!) { saveCaseView(input: $input) {
  caseView { id } userErrors { field message code } } }"""


@pytest.fixture
async def normal_api(backend_settings: Settings, api: Api) -> AsyncIterator[Api]:
    """The same database served with the fast path off: normal execution only."""
    settings = backend_settings.model_copy(update={"planned_reads": False})
    async for base_url, app in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            services = app.state.services
            yield Api(base_url, http, services.db, api.backend, services)


async def _office(api: Api) -> tuple[Tenant, list[dict[str, Any]]]:
    """A tenant with cases that have every relation, and cases that have none."""
    tenant = await api.new_tenant()
    users = [
        await tenant.create_user(f"Handläggare {name}", phone="+46701234567" if i else None)
        for i, name in enumerate(["Åsa", "Erik", "Ola"])
    ]
    project = await api.data(
        """mutation($input: CreateProjectInput!) { createProject(input: $input) {
             project { id } } }""",
        {"input": {"name": "Stambyte 2026"}},
        tenant.admin_token,
    )
    groups = [await tenant.create_group(f"Jour {i}", [users[i]["id"]]) for i in range(2)]
    saved = await api.data(
        SAVE_CASE_TYPE,
        {"input": {"name": "Vattenskada", "color": "#2f80ed", "fields": CUSTOM_FIELDS}},
        tenant.admin_token,
    )
    water = saved["saveCaseType"]["caseType"]["id"]
    options = await tenant.options()
    cases = []
    for i in range(7):
        customer = await tenant.create_customer(
            f"Brf Måsen {i}",
            orgNumber=f"76961{i}-3456",
            location={"lat": 57.7, "lng": 11.9 + i},
            **(
                {"email": "styrelsen@masen.se", "phone": "031-123456", "address": "Gatan 1"}
                if i % 2
                else {}
            ),
        )
        if i == 1:
            contact = await tenant.create_portal_contact(customer["id"], f"Karin Svensson {i}")
        else:
            contact = await tenant.create_contact(customer["id"], f"Karin Svensson {i}")
        obj = await tenant.create_object(f"Tvättstuga {i}", customerId=customer["id"])
        cases.append(
            await tenant.register_case(
                title=f"Läckage i tvättstugan {i}",
                description='Vatten på golvet "igen" - se bild, 3/4 av ytan' if i % 2 else None,
                customerId=customer["id"],
                contactId=contact["id"],
                objectId=obj["id"],
                typeId=water,
                projectId=project["createProject"]["project"]["id"] if i % 3 == 2 else None,
                priorityId=list(options["priorities"].values())[i % 4],
                statusId=list(options["statuses"].values())[i % 3],
                assignedUserIds=[u["id"] for u in users[: i % 4]],
                assignedGroupIds=[g["id"] for g in groups[: i % 3]],
                responsibleId=users[i % 3]["id"] if i % 2 else None,
                deadline=f"2026-12-{10 + i}T08:30:00+00:00" if i % 3 else None,
                customFields=[{"key": "floor", "value": str(i)}, {"key": "room", "value": "Bad"}],
            )
        )
    for i in range(3):  # internal cases: no customer, object, type, priority or deadline
        cases.append(await tenant.register_case(title=f"Internt ärende {i}"))
    # Tags in each case's order; one spelling per tag, whoever typed it how.
    for case, tags in zip(
        cases,
        [["Läcka", "Försäkring"], ["LÄCKA"], ["vvs", "läcka", "Akut ärende"], [], ["Ö-tag"]],
        strict=False,
    ):
        tagged = await api.data(
            SET_TAGS, {"input": {"caseId": case["id"], "tags": tags}}, tenant.admin_token
        )
        assert tagged["setCaseTags"]["userErrors"] == [], tagged
    return tenant, cases


class _Planning(logging.Handler):
    """Whether the read plans answered: every document they could not is logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.refusals: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.refusals.append(record.getMessage())


@contextmanager
def _planning() -> Iterator[_Planning]:
    """What the read plans log meanwhile: every document they did not answer."""
    planning = _Planning()
    logger = logging.getLogger("workcloud.reads")
    level = logger.level
    logger.addHandler(planning)
    logger.setLevel(logging.DEBUG)
    try:
        yield planning
    finally:
        logger.removeHandler(planning)
        logger.setLevel(level)


async def _same(
    api: Api,
    normal_api: Api,
    token: str | None,
    query: str,
    variables: dict[str, Any],
    *,
    planned: bool | str | None = True,
) -> bytes:
    """The response of `api`, byte for byte normal execution's; `planned`: whether read
    plans must have answered it (True), must not have (False), must have answered some root
    fields and left the others to normal execution ("in part"), or either (None)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": variables}
    with _planning() as planning:
        fast = await api.http.post("/graphql", json=body, headers=headers)
    normal = await normal_api.http.post("/graphql", json=body, headers=headers)
    assert fast.status_code == normal.status_code
    assert fast.content == normal.content
    if planned == "in part":
        assert any("answered in part" in m for m in planning.refusals), planning.refusals
        assert not any("gave way" in m for m in planning.refusals), planning.refusals
    elif planned is not None:
        assert (not planning.refusals) == planned, planning.refusals
    return fast.content


async def test_the_table_view_reads_exactly_as_normal_execution(api: Api, normal_api: Api) -> None:
    tenant, _cases = await _office(api)
    options = await tenant.options()
    token = tenant.admin_token
    by_deadline = {"orderBy": [{"field": "DEADLINE", "direction": "ASC"}], "first": 4}
    first_page = await _same(api, normal_api, token, TABLE_VIEW, by_deadline)
    assert b"Brf M" in first_page and b'"customFields"' in first_page
    cursor = (await api.data(TABLE_VIEW, by_deadline, token))["cases"]["pageInfo"]["endCursor"]
    for variables in [
        {**by_deadline, "after": cursor},
        {"first": 50},
        {"filter": {"statusIds": list(options["statuses"].values())[:2]}, "first": 50},
        {
            "filter": {"open": True},
            "search": "måsen",
            "orderBy": [{"field": "CUSTOMER", "direction": "DESC"}],
        },
        {"search": "internt", "first": 2},
        {"search": "inget sådant"},
        {"filter": {"tags": ["läcka"]}, "first": 50},
        {"filter": {"tags": ["LÄCKA", "vvs"]}},
        {"search": "försäkr"},
    ]:
        await _same(api, normal_api, token, TABLE_VIEW, variables)
    linked = await api.data(
        "{ cases(first: 50) { edges { node { project { id } object { id } contact { id } "
        "responsible { id } } } } }",
        token=token,
    )
    ids = {
        relation: sorted(
            {n[relation]["id"] for e in linked["cases"]["edges"] if (n := e["node"])[relation]}
        )
        for relation in ("project", "object", "contact", "responsible")
    }
    for variables in [
        {"filter": {"projectIds": ids["project"]}},
        {"filter": {"objectIds": ids["object"][:3], "contactIds": ids["contact"][1:5]}},
        {"filter": {"responsibleIds": ids["responsible"][:1]}, "first": 50},
        {"orderBy": [{"field": "RESPONSIBLE", "direction": "ASC"}], "first": 50},
        {"orderBy": [{"field": "RESPONSIBLE", "direction": "DESC"}], "first": 3},
    ]:
        await _same(api, normal_api, token, TABLE_VIEW, variables)
    by_responsible = {"orderBy": [{"field": "RESPONSIBLE", "direction": "DESC"}], "first": 3}
    page = await api.data(TABLE_VIEW, by_responsible, token)
    after = page["cases"]["pageInfo"]["endCursor"]
    await _same(api, normal_api, token, TABLE_VIEW, {**by_responsible, "after": after})
    for variables in [
        {"first": 10, "withCustomer": True, "bare": False},
        {"first": 10, "withCustomer": False, "bare": True},
    ]:
        shaped = await _same(api, normal_api, token, SHAPES, variables)
        assert b'"total":10' in shaped and b'"heading"' in shaped
    every = await _same(api, normal_api, token, _every_field(), {"first": 50})
    assert b'"portalAccess":true' in every and b'"Stambyte 2026"' in every
    # Not for the fast path (tasks), and errors: normal execution answers both, the same way.
    await _same(api, normal_api, token, WITH_TASKS, {"first": 3})
    # Errors are normal execution's to report: the plan gives way to it.
    bad_cursor = await _same(
        api, normal_api, token, TABLE_VIEW, {"after": "not-a-cursor"}, planned=False
    )
    assert b"errors" in bad_cursor
    await _same(api, normal_api, token, TABLE_VIEW, {"first": -1}, planned=False)
    await _same(api, normal_api, None, TABLE_VIEW, {"first": 5}, planned=None)


async def test_pages_of_matches_deep_in_the_table_read_the_same_to_the_last(
    api: Api, normal_api: Api
) -> None:
    """The page is chosen from the cases before their relations are joined: paging two at
    a time through matches that lie under newer cases that do not match, in every order
    (also by a joined option), gives normal execution's pages, each match once."""
    tenant, _cases = await _office(api)
    for i in range(12):
        await tenant.register_case(title=f"Fönsterbyte {i}")
    statuses = list((await tenant.options())["statuses"].values())
    orders: list[list[dict[str, str]] | None] = [
        None,
        *(
            [{"field": name, "direction": direction}]
            for name, direction in [
                ("STATUS", "DESC"),
                ("PRIORITY", "ASC"),
                ("CUSTOMER", "DESC"),
                ("TYPE", "ASC"),
                ("DEADLINE", "ASC"),
                ("TITLE", "DESC"),
                ("NUMBER", "ASC"),
            ]
        ),
        [{"field": "STATUS", "direction": "ASC"}, {"field": "DEADLINE", "direction": "DESC"}],
    ]
    for order_by, filter, expected in [
        *((order_by, None, 7) for order_by in orders),
        (None, {"statusIds": statuses[:1]}, 3),
        ([{"field": "CUSTOMER", "direction": "ASC"}], {"statusIds": statuses[1:]}, 4),
    ]:
        seen: list[str] = []
        after = None
        while True:
            variables = {"search": "tvätt", "orderBy": order_by, "filter": filter, "first": 2}
            body = await _same(
                api, normal_api, tenant.admin_token, TABLE_VIEW, {**variables, "after": after}
            )
            page = json.loads(body)["data"]["cases"]
            seen += [edge["node"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == expected, (order_by, filter)


async def test_the_table_view_costs_the_same_few_statements_at_any_page_size(api: Api) -> None:
    tenant, _cases = await _office(api)
    counts = []
    for size in (2, 5, 10):
        async with api.counting_statements() as counter:
            page = await api.data(TABLE_VIEW, {"first": size}, tenant.admin_token)
        assert len(page["cases"]["edges"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2]
    # Sign-in, the joined page, assigned users, assigned groups, tags: on SQLite also a BEGIN
    # before sign-in and before the page.
    assert counts[0] <= 7, counter.statements

    # Every field a plan reads from rows, lists and connections under lists included: the
    # same statements for a page of 8 cases as for 10, one per relation read (a relation
    # under no row at all, such as the contacts of the internal cases, costs none).
    every = []
    for size in (8, 10):
        async with api.counting_statements() as counter:
            await api.data(_every_field(), {"first": size}, tenant.admin_token)
        every.append(counter.count)
    assert every[0] == every[1], counter.statements

    async with api.counting_statements() as without_total:
        await api.data(NO_TOTAL, token=tenant.admin_token)
    async with api.counting_statements() as with_total:
        await api.data(TOTAL, token=tenant.admin_token)
    assert with_total.count == without_total.count + 1


async def test_saved_views_read_exactly_as_normal_execution(api: Api, normal_api: Api) -> None:
    """A view's scope, filter, search and order, and the arguments that replace them, on the
    fast path as in normal execution; a view not the viewer's is normal execution's error."""
    tenant, _cases = await _office(api)
    member = await tenant.create_user("Vanlig Medlem")
    statuses = list((await tenant.options())["statuses"].values())
    view_input = {
        "name": "Läckor efter kund",
        "scope": "ALL",
        "filter": {"tags": ["läcka"], "statusIds": statuses},
        "search": "tvätt",
        "orderBy": [{"field": "CUSTOMER", "direction": "DESC"}],
        "shared": True,
    }
    saved = await api.data(SAVE_VIEW, {"input": view_input}, tenant.admin_token)
    shared = saved["saveCaseView"]["caseView"]["id"]
    mine = await api.data(
        SAVE_VIEW, {"input": {"name": "Mina", "scope": "MINE"}}, tenant.admin_token
    )
    private = mine["saveCaseView"]["caseView"]["id"]
    for token, variables in [
        (tenant.admin_token, {"view": shared}),
        (member["token"], {"view": shared, "first": 1}),
        (tenant.admin_token, {"view": shared, "search": "", "filter": {"open": True}}),
        (tenant.admin_token, {"view": shared, "orderBy": [], "scope": "MINE"}),
        (tenant.admin_token, {"view": private, "first": 50}),
        (member["token"], {"view": private}),
    ]:
        refused = token == member["token"] and variables["view"] == private
        body = await _same(api, normal_api, token, TABLE_VIEW, variables, planned=not refused)
        assert (b"NOT_FOUND" in body) == refused
    # On the fast path: a view costs the one statement that reads it.
    async with api.counting_statements() as plain:
        await api.data(TABLE_VIEW, {"first": 5}, tenant.admin_token)
    async with api.counting_statements() as viewed:
        await api.data(TABLE_VIEW, {"view": shared, "first": 5}, tenant.admin_token)
    assert viewed.count == plain.count + 1, viewed.statements


async def test_the_fast_path_sees_only_the_viewers_tenant(api: Api, normal_api: Api) -> None:
    ours, _ = await _office(api)
    theirs = await api.new_tenant("Annan Fastighet AB")
    await theirs.register_case(title="Deras hemliga ärende")
    page = await _same(api, normal_api, ours.admin_token, TABLE_VIEW, {"first": 100})
    assert b"hemliga" not in page
    assert page.count(b'"cursor"') == 10
    member = await ours.create_user("Vanlig Medlem")
    await _same(api, normal_api, member["token"], TABLE_VIEW, {"first": 3})


async def test_a_fault_on_the_fast_path_is_reported_and_logged_as_normal_executions(
    api: Api, normal_api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not swallowed: the fast path's own fault answers, logged and masked, exactly as the
    same fault in normal execution would (not with normal execution's answer instead)."""
    tenant, _cases = await _office(api)
    fault = RuntimeError("SELECT secret FROM somewhere")

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise fault

    headers = {"Authorization": f"Bearer {tenant.admin_token}"}
    body = {"query": TABLE_VIEW, "variables": {"first": 5}}
    monkeypatch.setattr(fast_roots, "table_query", failing)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        fast = await api.http.post("/graphql", json=body, headers=headers)
    answer = fast.json()
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert (error["path"], error["extensions"]) == (["cases"], {"code": "INTERNAL_SERVER_ERROR"})
    assert b"secret" not in fast.content
    (logged,) = [r for r in caplog.records if r.exc_info and r.exc_info[1] is fault]
    assert logged.levelno == logging.ERROR

    monkeypatch.setattr(case_table, "table_query", failing)
    normal = await normal_api.http.post("/graphql", json=body, headers=headers)
    assert (fast.status_code, fast.content) == (normal.status_code, normal.content)


async def test_a_document_the_fast_path_fails_to_compile_is_logged_and_runs_normally(
    api: Api, normal_api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tenant, _cases = await _office(api)
    fault = KeyError("no such column")

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise fault

    monkeypatch.setattr(fast_extension, "field_of", failing)
    document = "query NotCompiled { cases(first: 3) { edges { node { id title } } } }"
    with caplog.at_level(logging.WARNING, logger="workcloud.reads"):
        body = await _same(api, normal_api, tenant.admin_token, document, {}, planned=False)
    assert json.loads(body)["data"]["cases"]["edges"]
    (warned,) = [r for r in caplog.records if r.name == "workcloud.reads"]
    assert warned.levelno == logging.WARNING
    assert warned.exc_info is not None and warned.exc_info[1] is fault


def _connection(type_name: str) -> str:
    type_ = build_schema()._schema.get_type(type_name)
    assert isinstance(type_, GraphQLObjectType)
    return f"""__typename totalCount
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ __typename cursor node {{ {_selection(type_)} }} }}"""


EVERY_CASE_FIELD = "query EveryCase($id: ID!) { case(id: $id) { __SELECTION__ } }"
DETAIL_PAGE = """query DetailPage($id: ID!, $first: Int, $after: String) {
  case(id: $id) {
    id number title description deadline createdAt updatedAt
    customer { id name } contact { id name } object { id name } project { id name }
    type { id name color } status { id name color } priority { id name color }
    assignedUsers { id name } assignedGroups { id name }
    responsible { id name } createdBy { id name }
    customFields { key label value }
    tasks { id title done assignee { id name } }
    events(first: $first) { edges { node { id at action actorName changes { field from to } } } }
    comments(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id body createdAt author { id name } mentions { id name } } } }
  } }"""
LOBBY = """query Lobby($first: Int, $unread: Boolean! = false) {
  __typename
  viewer {
    __typename kind unreadNotificationCount contact { id }
    user { id name handle role }
    notifications(first: $first, unreadOnly: $unread) {
      totalCount
      edges { cursor node {
        id kind createdAt readAt reminderPhase slaTarget
        actor { id name }
        case { id number title status { id name color } }
        comment { id body author { name } mentions { handle } }
        message { id body direction authorName } } }
      pageInfo { hasNextPage endCursor } } } }"""
CUSTOMERS = """query Customers($first: Int, $search: String, $archived: Boolean) {
  customers(first: $first, search: $search, includeArchived: $archived) {
    edges { cursor node {
      id name orgNumber email phone address archived
      contacts(includeArchived: $archived) { id name email phone archived customer { name } }
      objects(first: 2, includeArchived: $archived) {
        totalCount edges { node { id name address customer { id } } } pageInfo { hasNextPage } }
      projects { edges { node { id name } } } } }
    pageInfo { hasNextPage endCursor } } }"""
SHAPED_ROOTS = """query Shaped($id: ID!, $other: ID!) {
  first: case(id: $id) { ...Head tasks { ... on Task { title } } }
  second: case(id: $other) { ...Head }
  me: viewer { kind }
}
fragment Head on Case { nr: number title comments(first: 1) { edges { node { body } } } }"""


async def _busy_case(tenant: Tenant, api: Api) -> tuple[str, list[dict[str, Any]]]:
    """A case with tasks, a long event log and comments that mention two users."""
    users = [await tenant.create_user(f"Tekniker {name}") for name in ("Åke", "Bea")]
    customer = await tenant.create_customer("Brf Tallen")
    contact = await tenant.create_contact(customer["id"], "Pia Tall", "pia@tallen.example.se")
    await tenant.update_settings(tabs={"customerConversations": True})
    template = await api.data(
        """mutation { saveFormTemplate(input: {name: "Egenkontroll", questions: [
             {key: "ok", label: "Allt fungerar", kind: BOOLEAN, required: true},
             {key: "grade", label: "Betyg", kind: SELECT, options: ["Bra", "Dålig"]}]}) {
             formTemplate { id } } }""",
        token=tenant.admin_token,
    )
    case = await tenant.register_case(
        title="Fuktskada i källaren",
        customerId=customer["id"],
        contactId=contact["id"],
        assignedUserIds=[u["id"] for u in users],
        responsibleId=users[0]["id"],
        formTemplateIds=[template["saveFormTemplate"]["formTemplate"]["id"]],
        visibleInPortal=True,
    )
    for body in ["Hej Pia! Vi kommer på torsdag.", "Ta med nyckeln till källaren."]:
        sent = await api.data(
            """mutation($input: SendCustomerMessageInput!) { sendCustomerMessage(input: $input) {
                 userErrors { code } } }""",
            {"input": {"caseId": case["id"], "body": body}},
            tenant.admin_token,
        )
        assert sent["sendCustomerMessage"]["userErrors"] == [], sent
    for i, title in enumerate(["Mät fukt", "Beställ avfuktare", "Återbesök"]):
        added = await api.data(
            """mutation($input: AddTaskInput!) { addTask(input: $input) {
                 userErrors { code } } }""",
            {"input": {"caseId": case["id"], "title": title, "assigneeId": users[i % 2]["id"]}},
            tenant.admin_token,
        )
        assert added["addTask"]["userErrors"] == [], added
    for i in range(5):
        mentioned = " ".join(f"@{u['handle']}" for u in users[: 1 + i % 2])
        await tenant.add_comment(case["id"], f"Kommentar {i} till {mentioned}")
    return case["id"], users


async def test_every_planned_root_reads_exactly_as_normal_execution(
    api: Api, normal_api: Api
) -> None:
    tenant, cases = await _office(api)
    busy, users = await _busy_case(tenant, api)
    token = tenant.admin_token
    case_document = EVERY_CASE_FIELD.replace("__SELECTION__", _selection(_object_type("Case")))
    every = await _same(api, normal_api, token, case_document, {"id": busy})
    assert all(
        text.encode() in every
        for text in [
            "Beställ avfuktare",
            "Kommentar 4",
            "Tekniker",
            "Egenkontroll",
            "Vi kommer på torsdag",
        ]
    )
    for case in cases:
        await _same(api, normal_api, token, case_document, {"id": case["id"]})
    page = await _same(api, normal_api, token, DETAIL_PAGE, {"id": busy, "first": 2})
    after = json.loads(page)["data"]["case"]["comments"]["pageInfo"]["endCursor"]
    await _same(api, normal_api, token, DETAIL_PAGE, {"id": busy, "first": 2, "after": after})
    await _same(api, normal_api, token, DETAIL_PAGE, {"id": busy})
    # Null where normal execution finds nothing: another type's id, nonsense, another tenant's.
    theirs = await api.new_tenant("Annan Fastighet AB")
    foreign = await theirs.register_case(title="Deras ärende")
    for other in [users[0]["id"], "inte-ett-id", foreign["id"]]:
        body = await _same(api, normal_api, token, DETAIL_PAGE, {"id": other})
        assert json.loads(body)["data"] == {"case": None}
    await _same(api, normal_api, theirs.admin_token, case_document, {"id": busy})
    shaped = {"id": busy, "other": cases[0]["id"]}
    await _same(api, normal_api, token, SHAPED_ROOTS, shaped)

    # The lobby of a mentioned user, and of one with nothing in it.
    for viewer in [users[0], users[1], tenant]:
        viewer_token = viewer.admin_token if isinstance(viewer, Tenant) else viewer["token"]
        for variables in [{"first": 3}, {"first": 50, "unread": True}, {}]:
            lobby = await _same(api, normal_api, viewer_token, LOBBY, variables)
    assert b'"MENTION"' in (await _same(api, normal_api, users[1]["token"], LOBBY, {}))
    assert b'"notifications"' in lobby

    # Customers, with archived contacts and objects, searched, and paged.
    customers = await api.data(
        "{ customers(first: 3) { edges { node { id contacts { id } } } } }", token=token
    )
    first = customers["customers"]["edges"][1]["node"]
    await api.data(
        "mutation($input: ArchiveContactInput!) { archiveContact(input: $input) { userErrors { code } } }",
        {"input": {"id": first["contacts"][0]["id"]}},
        token,
    )
    for variables in [
        {"first": 50},
        {"first": 3, "archived": True},
        {"search": "måsen", "first": 2},
        {"search": "inget sådant"},
    ]:
        await _same(api, normal_api, token, CUSTOMERS, variables)
    every_customer = f"query {{ customers(first: 20) {{ {_connection('CustomerConnection')} }} }}"
    await _same(api, normal_api, token, every_customer, {})

    # The lists of people, groups, objects and projects, every planned field.
    for document, variables in [
        (f"query {{ users(first: 50) {{ {_connection('UserConnection')} }} }}", {}),
        (
            "query($s: String) { users(search: $s, includeInactive: true) { edges { node { name } } } }",
            {"s": "tekniker"},
        ),
        (f"query {{ groups {{ {_selection(_object_type('Group'))} }} }}", {}),
        (f"query {{ objects(first: 4) {{ {_connection('CaseObjectConnection')} }} }}", {}),
        (
            "query($c: ID, $a: Boolean) { objects(customerId: $c, includeArchived: $a) { edges { node { name } } } }",
            {"c": first["id"], "a": True},
        ),
        (
            "query { objects(within: {south: 57, west: 11, north: 58, east: 15}) { totalCount edges { node { name location { lat lng } } } } }",
            {},
        ),
        (f"query {{ projects(first: 50) {{ {_connection('ProjectConnection')} }} }}", {}),
        ("query($s: String) { projects(search: $s) { edges { node { name } } } }", {"s": "stam"}),
    ]:
        await _same(api, normal_api, token, document, variables)
    # Another tenant's customer: normal execution's answer (nothing), not a plan's.
    foreign_customer = await theirs.create_customer("Deras kund")
    await _same(
        api,
        normal_api,
        token,
        "query($c: ID) { objects(customerId: $c) { edges { node { name } } } }",
        {"c": foreign_customer["id"]},
        planned=None,
    )

    # Selections that need no column: the rows are read all the same.
    for document in [
        "{ groups { __typename } }",
        "query($id: ID!) { case(id: $id) { __typename } node(id: $id) { __typename } }",
        "{ viewer { user { __typename } } cases { __typename } }",
        "{ customers(first: 2) { edges { node { __typename } } } }",
        "query($id: ID!) { case(id: $id) { comments { totalCount } tasks { __typename } } }",
    ]:
        await _same(api, normal_api, token, document, {"id": busy})

    # A member reads as an admin does; errors stay normal execution's to report.
    member = await tenant.create_user("Vanlig Medlem")
    await _same(api, normal_api, member["token"], DETAIL_PAGE, {"id": busy})
    await _same(api, normal_api, member["token"], LOBBY, {})
    bad = {"id": busy, "first": 2, "after": "inte-en-markör"}
    await _same(api, normal_api, token, DETAIL_PAGE, bad, planned=False)
    await _same(api, normal_api, token, DETAIL_PAGE, {"id": busy, "first": -2}, planned=False)


async def test_a_portal_viewer_and_a_tab_turned_off_get_normal_executions_answer(
    api: Api, normal_api: Api
) -> None:
    tenant, _cases = await _office(api)
    busy, _users = await _busy_case(tenant, api)
    customer = await tenant.create_customer("Brf Portalen")
    portal = await tenant.create_portal_contact(customer["id"], "Kim Portal")
    for document, variables in [
        (DETAIL_PAGE, {"id": busy}),
        (LOBBY, {}),
        (CUSTOMERS, {"first": 5}),
    ]:
        body = await _same(api, normal_api, portal["token"], document, variables, planned=None)
        assert b"FORBIDDEN" in body
    await tenant.update_settings(tabs={"events": False})
    body = await _same(
        api, normal_api, tenant.admin_token, DETAIL_PAGE, {"id": busy}, planned=False
    )
    assert b"FORBIDDEN" in body
    without_events = DETAIL_PAGE.replace(
        "events(first: $first) { edges { node { id at action actorName changes { field from to } } } }",
        "",
    )
    await _same(api, normal_api, tenant.admin_token, without_events, {"id": busy})


async def test_a_detail_page_costs_the_same_statements_whatever_its_lists_hold(api: Api) -> None:
    tenant, _cases = await _office(api)
    busy, _users = await _busy_case(tenant, api)
    counts = []
    for first in (2, 5):
        async with api.counting_statements() as counter:
            await api.data(DETAIL_PAGE, {"id": busy, "first": first}, tenant.admin_token)
        counts.append(counter.count)
    assert counts[0] == counts[1], counter.statements
    # Sign-in, the case with its relations, users, groups, tasks, the events tab, events,
    # comments, their count and their mentions; on SQLite BEGINs too.
    assert counts[0] <= 13, counter.statements


def _object_type(name: str) -> GraphQLObjectType:
    type_ = build_schema()._schema.get_type(name)
    assert isinstance(type_, GraphQLObjectType)
    return type_


NODE = """query Node($id: ID!) { node(id: $id) {
  __typename id
  ... on Case { number title tasks { title assignee { name } } comments(first: 2) { totalCount } }
  ... on Comment { body author { name } mentions { handle } case { number } }
  ... on User { name handle role }
  ... on Notification { kind readAt actor { name } }
  ... on Task { title done }
  ... on Customer { name contacts { name } }
  ... on CaseEvent { action changes { field from to } }
  ... on FormInstance { name answers { key kind value } }
  ... on ConversationMessage { body direction }
  ... on CaseStatus { name closed }
  ... on PortalCase { number statusName }
  ... on Node { id } } }"""


async def test_node_reads_exactly_as_normal_execution(api: Api, normal_api: Api) -> None:
    tenant, cases = await _office(api)
    busy, users = await _busy_case(tenant, api)
    token = tenant.admin_token
    detail = json.loads(await _same(api, normal_api, token, case_document_ids, {"id": busy}))
    case = detail["data"]["case"]
    lobby = await api.data(LOBBY, {}, users[0]["token"])
    notification = lobby["viewer"]["notifications"]["edges"][0]["node"]["id"]
    ids = [
        busy,
        cases[0]["id"],
        case["comments"]["edges"][0]["node"]["id"],
        case["tasks"][0]["id"],
        case["events"]["edges"][0]["node"]["id"],
        case["forms"][0]["id"],
        case["messages"]["edges"][0]["node"]["id"],
        case["status"]["id"],
        case["customer"]["id"],
        users[1]["id"],
    ]
    for node_id in ids:
        body = await _same(api, normal_api, token, NODE, {"id": node_id})
        assert json.loads(body)["data"]["node"]["id"] == node_id
    # A notification is its recipient's alone: null for anyone else, as normal execution says.
    mine = await _same(api, normal_api, users[0]["token"], NODE, {"id": notification})
    assert json.loads(mine)["data"]["node"]["kind"] == "MENTION"
    theirs = await _same(api, normal_api, token, NODE, {"id": notification})
    assert json.loads(theirs)["data"] == {"node": None}
    # Nonsense and another tenant's: null; types with rules of their own: normal execution.
    other = await api.new_tenant("Annan Fastighet AB")
    foreign = await other.register_case(title="Deras ärende")
    for node_id in ["inte-ett-id", foreign["id"]]:
        body = await _same(api, normal_api, token, NODE, {"id": node_id})
        assert json.loads(body)["data"] == {"node": None}
    # Staff see each of their cases as its customer does, too.
    portal_case = to_global_id("PortalCase", pk_of(busy, "Case") or 0)
    seen = await _same(api, normal_api, token, NODE, {"id": portal_case})
    assert json.loads(seen)["data"]["node"]["__typename"] == "PortalCase"
    # A file has rules of its own: its resolver answers.
    await _same(api, normal_api, token, NODE, {"id": to_global_id("Attachment", 1)}, planned=False)


case_document_ids = """query($id: ID!) { case(id: $id) {
  status { id } customer { id } tasks { id } forms { id }
  events(first: 1) { edges { node { id } } } comments(first: 1) { edges { node { id } } }
  messages(first: 1) { edges { node { id } } } } }"""


MIXED = """query Mixed($first: Int) {
  settings: caseModuleSettings { tabs { events } }
  cases(first: $first) { edges { node { id title status { name } } } }
  __typename
  me: viewer { kind user { name } }
  hooks: webhooks { id }
  tags { name count }
}"""


async def test_root_fields_without_a_plan_are_answered_by_normal_execution_alone(
    api: Api, normal_api: Api
) -> None:
    """The plans answer what they can of a document; the other root fields are normal
    execution's, their errors included, merged in the document's order."""
    tenant, _cases = await _office(api)
    member = await tenant.create_user("Vanlig Medlem")
    admin = await _same(api, normal_api, tenant.admin_token, MIXED, {"first": 3}, planned="in part")
    answer = json.loads(admin)
    assert list(answer["data"]) == ["settings", "cases", "__typename", "me", "hooks", "tags"]
    assert len(answer["data"]["cases"]["edges"]) == 3 and "errors" not in answer
    # Webhooks are the administrators': the member's error is normal execution's, the rest
    # the plans'.
    body = await _same(api, normal_api, member["token"], MIXED, {"first": 2}, planned="in part")
    assert b"FORBIDDEN" in body or b"errors" in body
    # Fragments at the root: normal execution answers the whole document.
    fragment = "query { ...Roots cases(first: 1) { edges { node { id } } } } " + (
        "fragment Roots on Query { caseModuleSettings { tabs { events } } }"
    )
    await _same(api, normal_api, tenant.admin_token, fragment, {}, planned=False)


PORTAL_CASES = """query Portal($first: Int, $after: String) {
  portalCases(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      __typename id number title createdAt statusName
      messages(first: 5) { totalCount
        edges { node { __typename id body direction createdAt authorName
          attachments { id filename contentType size createdAt uploadedByName } } } } } } } }"""
PORTAL_CASE = """query PortalCase($id: ID!) { portalCase(id: $id) {
  id number title statusName messages { edges { node { body direction } } } } }"""


async def test_the_portal_reads_exactly_as_normal_execution(api: Api, normal_api: Api) -> None:
    """A contact sees its customer's cases shown in the portal, and nothing internal; another
    customer's contact sees none of them."""
    tenant = await api.new_tenant()
    await tenant.update_settings(tabs={"customerConversations": True})
    ours = await tenant.create_customer("Brf Eken")
    theirs = await tenant.create_customer("Brf Aspen")
    karin = await tenant.create_portal_contact(ours["id"], "Karin Ek")
    olle = await tenant.create_portal_contact(theirs["id"], "Olle Asp")
    shown = []
    for i in range(3):
        case = await tenant.register_case(
            title=f"Läckage {i}", customerId=ours["id"], contactId=karin["id"], visibleInPortal=True
        )
        shown.append(case["id"])
        for body in [f"Hej Karin, om ärende {i}", "Vi kommer i morgon."]:
            sent = await api.data(
                """mutation($input: SendCustomerMessageInput!) { sendCustomerMessage(
                     input: $input) { userErrors { code } } }""",
                {"input": {"caseId": case["id"], "body": body}},
                tenant.admin_token,
            )
            assert sent["sendCustomerMessage"]["userErrors"] == [], sent
    hidden = await tenant.register_case(title="Internt", customerId=ours["id"])
    other = await tenant.register_case(
        title="Aspens ärende", customerId=theirs["id"], contactId=olle["id"], visibleInPortal=True
    )
    page = json.loads(await _same(api, normal_api, karin["token"], PORTAL_CASES, {"first": 2}))
    cases = page["data"]["portalCases"]
    assert cases["totalCount"] == 3 and len(cases["edges"]) == 2
    after = cases["pageInfo"]["endCursor"]
    await _same(api, normal_api, karin["token"], PORTAL_CASES, {"first": 2, "after": after})
    everything = await _same(api, normal_api, karin["token"], PORTAL_CASES, {})
    assert "Hej Karin, om ärende 2".encode() in everything and b"Aspens" not in everything
    olles = await _same(api, normal_api, olle["token"], PORTAL_CASES, {})
    assert b"Aspens" in olles and b"Karin" not in olles
    portal_ids = [
        edge["node"]["id"] for edge in json.loads(everything)["data"]["portalCases"]["edges"]
    ]
    mine = await _same(api, normal_api, karin["token"], PORTAL_CASE, {"id": portal_ids[0]})
    assert json.loads(mine)["data"]["portalCase"]["messages"]["edges"]
    # Not hers, not shown, not a portal id, nonsense: null, as normal execution says.
    for case_id in [
        to_global_id("PortalCase", pk_of(other["id"], "Case") or 0),
        to_global_id("PortalCase", pk_of(hidden["id"], "Case") or 0),
        shown[0],
        "inte-ett-id",
    ]:
        body = await _same(api, normal_api, karin["token"], PORTAL_CASE, {"id": case_id})
        assert json.loads(body)["data"] == {"portalCase": None}
    # What only staff may read is normal execution's to refuse; so is staff asking the portal.
    sender = PORTAL_CASE.replace("body direction", "body senderAddress")
    await _same(api, normal_api, karin["token"], sender, {"id": portal_ids[0]}, planned=False)
    await _same(api, normal_api, tenant.admin_token, PORTAL_CASES, {}, planned=None)
    await _same(
        api, normal_api, tenant.admin_token, PORTAL_CASE, {"id": portal_ids[0]}, planned=None
    )
    # Conversations turned off: the portal is told so, by normal execution.
    await tenant.update_settings(tabs={"customerConversations": False})
    body = await _same(api, normal_api, karin["token"], PORTAL_CASES, {}, planned=False)
    assert b"turned off" in body


LIVE_COMMENTS = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) {
    __typename id body createdAt author { id name handle role } mentions { name handle }
    attachments { id filename } case { number title status { name color } customer { name } } } }"""
LIVE_NOTIFICATIONS = """subscription($after: ID) { notificationReceived(after: $after) {
  id kind createdAt readAt actor { name } case { number title } comment { body } } }"""
LIVE_MESSAGES = """subscription($caseId: ID!, $after: ID) {
  conversationMessageAdded(caseId: $caseId, after: $after) {
    id body direction createdAt authorName attachments { id } } }"""


async def _replayed(api: Api, token: str, query: str, variables: dict[str, Any], count: int) -> Any:
    async with api.ws(token) as socket:
        await socket.subscribe(query, variables)
        return [json.dumps((await socket.receive())["payload"]) for _ in range(count)]


async def _live_same(
    api: Api,
    normal_api: Api,
    token: str,
    query: str,
    variables: dict[str, Any],
    count: int,
    *,
    planned: bool = True,
) -> list[str]:
    """The payloads of `count` replayed events, the same from read plans as from normal
    execution; `planned`: whether the plans rendered them."""
    with _planning() as planning:
        ours = await _replayed(api, token, query, variables, count)
    assert ours == await _replayed(normal_api, token, query, variables, count)
    assert (not planning.refusals) == planned, planning.refusals
    return ours


async def test_live_events_render_exactly_as_normal_execution(api: Api, normal_api: Api) -> None:
    tenant, _cases = await _office(api)
    busy, users = await _busy_case(tenant, api)
    token = tenant.admin_token
    detail = await api.data(
        """query($id: ID!) { case(id: $id) { comments(first: 1) { edges { node { id } } }
             messages(first: 1) { edges { node { id } } } } }""",
        {"id": busy},
        token,
    )
    first_comment = detail["case"]["comments"]["edges"][0]["node"]["id"]
    first_message = detail["case"]["messages"]["edges"][0]["node"]["id"]
    comments = await _live_same(
        api, normal_api, token, LIVE_COMMENTS, {"caseId": busy, "after": first_comment}, 4
    )
    assert "Kommentar 4" in comments[-1] and "Tekniker" in comments[-1]
    await _live_same(
        api, normal_api, token, LIVE_MESSAGES, {"caseId": busy, "after": first_message}, 1
    )
    # The notifications of a mentioned user, from the first on.
    lobby = await api.data(LOBBY, {"first": 50}, users[1]["token"])
    mine = [edge["node"]["id"] for edge in lobby["viewer"]["notifications"]["edges"]]
    await _live_same(
        api, normal_api, users[1]["token"], LIVE_NOTIFICATIONS, {"after": mine[-1]}, len(mine) - 1
    )
    # A field without a plan (a user's own setting, with rules of its own): rendered as before.
    await _live_same(
        api,
        normal_api,
        token,
        LIVE_COMMENTS.replace("mentions { name handle }", "mentions { name emailOnMention }"),
        {"caseId": busy, "after": first_comment},
        1,
        planned=False,
    )
