"""Lists around the case: customers, objects and projects by name, and the cases of each."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import mutation
from tests.support.client import Api, Tenant

OBJECTS = """query($customerId: ID, $search: String, $within: BoundingBox, $first: Int, $after: String) {
  objects(customerId: $customerId, search: $search, within: $within, first: $first, after: $after) {
    totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }"""
PROJECTS = """query($customerId: ID, $search: String) {
  projects(customerId: $customerId, search: $search) { totalCount edges { node { name } } } }"""
CUSTOMERS = """query($search: String) { customers(search: $search) { edges { node { name } } } }"""
CASES_OF = """query($id: ID!, $first: Int, $after: String) { node(id: $id) {
  ... on Customer { cases(first: $first, after: $after) { ...Page } }
  ... on CaseObject { cases(first: $first, after: $after) { ...Page } }
  ... on Project { cases(first: $first, after: $after) { ...Page } } } }
fragment Page on CaseConnection { totalCount pageInfo { hasNextPage endCursor }
  edges { node { title customer { name } contact { name } object { name } project { name }
    status { name } assignedUsers { name } } } }"""
TABLE = """query($filter: CaseFilter, $orderBy: [CaseOrder!]) {
  cases(filter: $filter, orderBy: $orderBy, first: 100) { edges { node { title } } } }"""


def _names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def _project(tenant: Tenant, name: str, customer_id: str | None = None) -> dict[str, Any]:
    data = await tenant.api.data(
        mutation("createProject", "CreateProjectInput", "project { id name }"),
        {"input": {"name": name, "customerId": customer_id}},
        tenant.admin_token,
    )
    project: dict[str, Any] = data["createProject"]["project"]
    return project


async def test_objects_and_projects_by_name_customer_search_and_map(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    token = member["token"]
    solbacken = await tenant.create_customer("Brf Solbacken")
    kvarnen = await tenant.create_customer("Fastighets AB Kvarnen")
    for name, owner, lat, lng in [
        ("Tvättstuga Övre", solbacken, 57.70, 11.97),
        ("Undercentral", solbacken, 57.71, 11.98),
        ("Pumpstation", None, 67.85, 20.22),
        ("Hiss A", kvarnen, 57.65, 12.01),
        ("ÖVERBYGGNAD", kvarnen, 59.33, 18.06),
    ]:
        await tenant.create_object(
            name,
            customerId=owner["id"] if owner else None,
            location={"lat": lat, "lng": lng},
        )
    every = await api.data(OBJECTS, {}, token)
    assert _names(every["objects"]) == [
        "Hiss A", "Pumpstation", "Tvättstuga Övre", "Undercentral", "ÖVERBYGGNAD",
    ]  # fmt: skip
    assert _names((await api.data(OBJECTS, {"search": "övr"}, token))["objects"]) == [
        "Tvättstuga Övre"
    ]
    assert _names((await api.data(OBJECTS, {"search": "ÖVER"}, token))["objects"]) == [
        "ÖVERBYGGNAD"
    ]
    assert _names((await api.data(OBJECTS, {"search": "%"}, token))["objects"]) == []
    of_solbacken = await api.data(OBJECTS, {"customerId": solbacken["id"]}, token)
    assert _names(of_solbacken["objects"]) == ["Tvättstuga Övre", "Undercentral"]
    gothenburg = {"south": 57.6, "west": 11.9, "north": 57.8, "east": 12.1}
    nearby = await api.data(OBJECTS, {"within": gothenburg, "customerId": kvarnen["id"]}, token)
    assert _names(nearby["objects"]) == ["Hiss A"]
    first = await api.data(OBJECTS, {"first": 2}, token)
    assert _names(first["objects"]) == ["Hiss A", "Pumpstation"]
    assert first["objects"]["totalCount"] == 5
    rest = await api.data(
        OBJECTS, {"first": 10, "after": first["objects"]["pageInfo"]["endCursor"]}, token
    )
    assert _names(rest["objects"]) == ["Tvättstuga Övre", "Undercentral", "ÖVERBYGGNAD"]

    await _project(tenant, "Stambyte 2027", solbacken["id"])
    await _project(tenant, "Fönsterbyte", kvarnen["id"])
    await _project(tenant, "Internt: nya nycklar")
    assert _names((await api.data(PROJECTS, {}, token))["projects"]) == [
        "Fönsterbyte", "Internt: nya nycklar", "Stambyte 2027",
    ]  # fmt: skip
    assert _names((await api.data(PROJECTS, {"search": "BYTE"}, token))["projects"]) == [
        "Fönsterbyte", "Stambyte 2027",
    ]  # fmt: skip
    assert _names((await api.data(PROJECTS, {"customerId": kvarnen["id"]}, token))["projects"]) == [
        "Fönsterbyte"
    ]
    assert _names((await api.data(CUSTOMERS, {"search": "KVARN"}, token))["customers"]) == [
        "Fastighets AB Kvarnen"
    ]

    # Another tenant's customer, or an id that is not one: an empty list, never theirs.
    other = await api.new_tenant()
    theirs = await other.create_customer("Annans kund")
    await other.create_object("Annans objekt", customerId=theirs["id"])
    for customer_id in [theirs["id"], "inte-ett-id"]:
        assert (await api.data(OBJECTS, {"customerId": customer_id}, token))["objects"][
            "totalCount"
        ] == 0
        assert (await api.data(PROJECTS, {"customerId": customer_id}, token))["projects"][
            "totalCount"
        ] == 0


async def test_the_cases_of_a_customer_object_and_project_newest_first(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    solbacken = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_contact(solbacken["id"], "Karin")
    obj = await tenant.create_object("Tvättstuga", customerId=solbacken["id"])
    project = await _project(tenant, "Stambyte", solbacken["id"])
    await tenant.register_case(title="Annat")
    for i in range(5):
        await tenant.register_case(
            title=f"Ärende {i}",
            customerId=solbacken["id"],
            contactId=contact["id"],
            objectId=obj["id"] if i % 2 else None,
            projectId=project["id"] if i < 2 else None,
            assignedUserIds=[member["id"]],
        )
    token = member["token"]
    customer_cases = (await api.data(CASES_OF, {"id": solbacken["id"]}, token))["node"]["cases"]
    assert [e["node"]["title"] for e in customer_cases["edges"]] == [
        f"Ärende {i}" for i in (4, 3, 2, 1, 0)
    ]
    assert customer_cases["totalCount"] == 5
    assert customer_cases["edges"][0]["node"]["contact"] == {"name": "Karin"}
    paged = (await api.data(CASES_OF, {"id": solbacken["id"], "first": 2}, token))["node"]["cases"]
    after = paged["pageInfo"]["endCursor"]
    rest = (await api.data(CASES_OF, {"id": solbacken["id"], "after": after}, token))["node"]
    assert [e["node"]["title"] for e in rest["cases"]["edges"]] == [
        "Ärende 2",
        "Ärende 1",
        "Ärende 0",
    ]
    object_cases = (await api.data(CASES_OF, {"id": obj["id"]}, token))["node"]["cases"]
    assert [e["node"]["title"] for e in object_cases["edges"]] == ["Ärende 3", "Ärende 1"]
    project_cases = (await api.data(CASES_OF, {"id": project["id"]}, token))["node"]["cases"]
    assert [e["node"]["title"] for e in project_cases["edges"]] == ["Ärende 1", "Ärende 0"]


async def test_the_cases_of_a_customer_cost_the_same_few_statements_at_any_size(api: Api) -> None:
    tenant = await api.new_tenant()
    users = [await tenant.create_user(f"Handläggare {i}") for i in range(3)]
    customer = await tenant.create_customer("Brf Solbacken")
    contacts = [await tenant.create_contact(customer["id"], f"Kontakt {i}") for i in range(3)]
    objects = [
        await tenant.create_object(f"Objekt {i}", customerId=customer["id"]) for i in range(3)
    ]

    async def statements(first: int) -> int:
        async with api.counting_statements() as counter:
            data = await api.data(
                CASES_OF, {"id": customer["id"], "first": first}, tenant.admin_token
            )
        assert len(data["node"]["cases"]["edges"]) == first
        return counter.count

    for i in range(30):
        await tenant.register_case(
            title=f"Ärende {i}",
            customerId=customer["id"],
            contactId=contacts[i % 3]["id"],
            objectId=objects[i % 3]["id"],
            assignedUserIds=[users[i % 3]["id"]],
        )
    assert await statements(3) == await statements(30)


async def test_the_portal_cannot_reach_a_customers_cases_objects_or_projects(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Brf Solbacken")
    await tenant.create_object("Tvättstuga", customerId=customer["id"])
    await tenant.register_case(title="Läckage", customerId=customer["id"], visibleInPortal=True)
    contact = await tenant.create_portal_contact(customer["id"])
    mine = await api.data(
        "{ viewer { contact { name customer { name contacts { name } } } } }",
        token=contact["token"],
    )
    assert mine["viewer"]["contact"]["customer"]["name"] == "Brf Solbacken"
    for field in [
        "cases { totalCount }",
        "objects { edges { node { name } } }",
        "projects { edges { node { name } } }",
        "objects { edges { node { cases { totalCount } } } }",
    ]:
        body = await api.post(
            f"{{ viewer {{ contact {{ customer {{ {field} }} }} }} }}", token=contact["token"]
        )
        codes = [e["extensions"]["code"] for e in body["errors"]]
        assert codes == ["FORBIDDEN"], field
    for root in ["objects", "projects", "customers"]:
        codes = await api.error_codes(f"{{ {root} {{ totalCount }} }}", token=contact["token"])
        assert codes == ["FORBIDDEN"]


async def test_the_table_view_filters_by_project_object_contact_and_responsible(api: Api) -> None:
    tenant = await api.new_tenant()
    åsa = await tenant.create_user("Åsa Lind")
    bo = await tenant.create_user("Bo Ek")
    customer = await tenant.create_customer("Brf Solbacken")
    karin = await tenant.create_contact(customer["id"], "Karin")
    obj = await tenant.create_object("Tvättstuga", customerId=customer["id"])
    project = await _project(tenant, "Stambyte", customer["id"])
    await tenant.register_case(
        title="Med projekt", customerId=customer["id"], projectId=project["id"]
    )
    await tenant.register_case(title="Med objekt", objectId=obj["id"], responsibleId=åsa["id"])
    await tenant.register_case(title="Med kontakt", contactId=karin["id"], responsibleId=bo["id"])
    await tenant.register_case(title="Utan")
    token = bo["token"]

    async def titles(filter: dict[str, Any] | None, order: str | None = None) -> list[str]:
        order_by = [{"field": "RESPONSIBLE", "direction": order}] if order else None
        data = await api.data(TABLE, {"filter": filter, "orderBy": order_by}, token)
        return [e["node"]["title"] for e in data["cases"]["edges"]]

    assert await titles({"projectIds": [project["id"]]}) == ["Med projekt"]
    assert await titles({"objectIds": [obj["id"]]}) == ["Med objekt"]
    assert await titles({"contactIds": [karin["id"]]}) == ["Med kontakt"]
    assert await titles({"responsibleIds": [åsa["id"]]}) == ["Med objekt"]
    assert sorted(await titles({"responsibleIds": [åsa["id"], bo["id"]]})) == [
        "Med kontakt", "Med objekt",
    ]  # fmt: skip
    # By the responsible user's name; cases without one last either way.
    asc = await titles(None, "ASC")
    assert asc[:2] == ["Med kontakt", "Med objekt"] and set(asc[2:]) == {"Med projekt", "Utan"}
    desc = await titles(None, "DESC")
    assert desc[:2] == ["Med objekt", "Med kontakt"] and set(desc[2:]) == {"Med projekt", "Utan"}

    other = await api.new_tenant()
    theirs = await other.create_customer("Annans")
    their_contact = await other.create_contact(theirs["id"], "Annan")
    their_project = await _project(other, "Annat")
    for filter in [
        {"contactIds": [their_contact["id"]]},
        {"projectIds": [their_project["id"]]},
        {"objectIds": ["inte-ett-id"]},
        {"responsibleIds": [other.admin_email]},
    ]:
        assert await titles(filter) == [], filter
