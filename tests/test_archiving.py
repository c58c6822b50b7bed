"""Archived customers, contacts, objects and projects: kept with their cases, out of lists,
never put on a case again until restored."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import REGISTER, UPDATE, errors_by_field, mutation
from tests.support.client import Api, Tenant

ERRORS = "userErrors { field message code }"
CHANGE_CUSTOMER = mutation(
    "changeCaseCustomer", "ChangeCaseCustomerInput", f"case {{ id }} {ERRORS}"
)
LISTS = """query($customerId: ID) {
  customers(includeArchived: false) { edges { node { name archived } } }
  all: customers(includeArchived: true) { edges { node { name archived } } }
  objects(customerId: $customerId) { edges { node { name } } }
  allObjects: objects(customerId: $customerId, includeArchived: true) { edges { node { name archived } } }
  projects(customerId: $customerId) { edges { node { name } } }
  allProjects: projects(customerId: $customerId, includeArchived: true) { edges { node { name archived } } }
}"""
CUSTOMER = """query($id: ID!) { node(id: $id) { ... on Customer { name archived
  contacts { name } allContacts: contacts(includeArchived: true) { name archived }
  objects { edges { node { name } } } allObjects: objects(includeArchived: true) { totalCount }
  projects { edges { node { name } } } allProjects: projects(includeArchived: true) { totalCount }
  cases { edges { node { id } } } } } }"""


def _archive(kind: str, verb: str = "archive") -> str:
    field = {"Customer": "customer", "Contact": "contact", "Object": "object", "Project": "project"}
    return mutation(
        f"{verb}{kind}",
        f"{verb.capitalize()}{kind}Input",
        f"{field[kind]} {{ id archived }} {ERRORS}",
    )


def _names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def _place(tenant: Tenant, name: str) -> dict[str, dict[str, Any]]:
    """A customer with a contact, an object and a project, and a case on all of them."""
    api = tenant.api
    customer = await tenant.create_customer(name)
    contact = await tenant.create_contact(customer["id"], f"Kontakt {name}")
    obj = await tenant.create_object(f"Objekt {name}", customerId=customer["id"])
    project = (
        await api.data(
            mutation("createProject", "CreateProjectInput", f"project {{ id }} {ERRORS}"),
            {"input": {"name": f"Projekt {name}", "customerId": customer["id"]}},
            tenant.admin_token,
        )
    )["createProject"]["project"]
    case = await tenant.register_case(
        title=f"Ärende {name}",
        customerId=customer["id"],
        contactId=contact["id"],
        objectId=obj["id"],
        projectId=project["id"],
    )
    return {
        "Customer": customer,
        "Contact": contact,
        "Object": obj,
        "Project": project,
        "case": case,
    }


async def _set(api: Api, tenant: Tenant, kind: str, id_: str, verb: str, token: str) -> Any:
    data = await api.data(_archive(kind, verb), {"input": {"id": id_}}, token)
    payload = data[f"{verb}{kind}"]
    assert payload["userErrors"] == [], payload
    return payload


async def test_archived_things_leave_lists_and_keep_their_cases(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    await _place(tenant, "Solbacken")
    retired = await _place(tenant, "Måsen")
    for kind in ("Contact", "Object", "Project", "Customer"):
        payload = await _set(api, tenant, kind, retired[kind]["id"], "archive", member["token"])
        assert next(iter(payload.values())) == {"id": retired[kind]["id"], "archived": True}
    # Twice is the same as once.
    await _set(api, tenant, "Customer", retired["Customer"]["id"], "archive", member["token"])

    lists = await api.data(LISTS, token=member["token"])
    assert _names(lists["customers"]) == ["Solbacken"]
    assert [e["node"] for e in lists["all"]["edges"]] == [
        {"name": "Måsen", "archived": True},
        {"name": "Solbacken", "archived": False},
    ]
    assert _names(lists["objects"]) == ["Objekt Solbacken"]
    assert _names(lists["allObjects"]) == ["Objekt Måsen", "Objekt Solbacken"]
    assert _names(lists["projects"]) == ["Projekt Solbacken"]
    assert _names(lists["allProjects"]) == ["Projekt Måsen", "Projekt Solbacken"]
    mine = await api.data(LISTS, {"customerId": retired["Customer"]["id"]}, member["token"])
    assert _names(mine["objects"]) == [] and _names(mine["allObjects"]) == ["Objekt Måsen"]

    customer = (await api.data(CUSTOMER, {"id": retired["Customer"]["id"]}, member["token"]))[
        "node"
    ]
    assert customer["archived"] is True
    assert customer["contacts"] == []
    assert customer["allContacts"] == [{"name": "Kontakt Måsen", "archived": True}]
    assert customer["objects"]["edges"] == [] and customer["allObjects"]["totalCount"] == 1
    assert customer["projects"]["edges"] == [] and customer["allProjects"]["totalCount"] == 1
    assert customer["cases"]["edges"] == [{"node": {"id": retired["case"]["id"]}}]

    # The case keeps its links, and still updates.
    updated = await api.data(
        UPDATE,
        {"input": {"id": retired["case"]["id"], "title": "Fortfarande öppet"}},
        member["token"],
    )
    assert updated["updateCase"]["userErrors"] == []
    case = updated["updateCase"]["case"]
    assert case["title"] == "Fortfarande öppet"
    assert case["customer"]["name"] == "Måsen" and case["contact"]["name"] == "Kontakt Måsen"
    assert case["object"]["name"] == "Objekt Måsen" and case["project"]["name"] == "Projekt Måsen"

    # Restored, they are back.
    for kind in ("Customer", "Contact", "Object", "Project"):
        payload = await _set(api, tenant, kind, retired[kind]["id"], "restore", member["token"])
        assert next(iter(payload.values()))["archived"] is False
    lists = await api.data(LISTS, token=member["token"])
    assert _names(lists["customers"]) == ["Måsen", "Solbacken"]
    assert len(lists["objects"]["edges"]) == len(lists["projects"]["edges"]) == 2


async def test_archived_things_cannot_be_put_on_a_case(api: Api) -> None:
    tenant = await api.new_tenant()
    kept = await _place(tenant, "Solbacken")
    retired = await _place(tenant, "Måsen")
    token = tenant.admin_token
    for kind in ("Contact", "Object", "Project"):
        await _set(api, tenant, kind, retired[kind]["id"], "archive", token)
    for given, path in [
        ({"contactId": retired["Contact"]["id"]}, "contactId"),
        ({"objectId": retired["Object"]["id"]}, "objectId"),
        ({"projectId": retired["Project"]["id"]}, "projectId"),
        (
            {"customerId": retired["Customer"]["id"], "objectId": retired["Object"]["id"]},
            "objectId",
        ),
    ]:
        registered = await api.data(REGISTER, {"input": {"title": "Nytt", **given}}, token)
        assert errors_by_field(registered["registerCase"]) == {("input", path): "INVALID"}, given
        internal = await tenant.create_case("Internt")
        moved = await api.data(UPDATE, {"input": {"id": internal, **given}}, token)
        assert errors_by_field(moved["updateCase"]) == {("input", path): "INVALID"}, given

    # An archived customer: directly, or through its (not archived) contact, object or project.
    await _set(api, tenant, "Customer", retired["Customer"]["id"], "archive", token)
    for kind in ("Contact", "Object", "Project"):
        await _set(api, tenant, kind, retired[kind]["id"], "restore", token)
    for given, path in [
        ({"customerId": retired["Customer"]["id"]}, "customerId"),
        ({"contactId": retired["Contact"]["id"]}, "contactId"),
        ({"objectId": retired["Object"]["id"]}, "objectId"),
        ({"projectId": retired["Project"]["id"]}, "projectId"),
    ]:
        registered = await api.data(REGISTER, {"input": {"title": "Nytt", **given}}, token)
        assert errors_by_field(registered["registerCase"]) == {("input", path): "INVALID"}, given
    changed = await api.data(
        CHANGE_CUSTOMER,
        {"input": {"caseId": kept["case"]["id"], "customerId": retired["Customer"]["id"]}},
        token,
    )
    assert errors_by_field(changed["changeCaseCustomer"]) == {("input", "customerId"): "INVALID"}
    # Nothing was registered or moved by any of these.
    count = await api.data("{ cases { totalCount } }", token=token)
    assert count["cases"]["totalCount"] == 2 + 4
    kept_case = await api.data(
        "query($id: ID!) { case(id: $id) { customer { name } object { name } } }",
        {"id": kept["case"]["id"]},
        token,
    )
    assert kept_case["case"] == {
        "customer": {"name": "Solbacken"},
        "object": {"name": "Objekt Solbacken"},
    }

    # Restored, the customer takes cases again.
    await _set(api, tenant, "Customer", retired["Customer"]["id"], "restore", token)
    registered = await api.data(
        REGISTER, {"input": {"title": "Nytt", "objectId": retired["Object"]["id"]}}, token
    )
    assert registered["registerCase"]["userErrors"] == []
    assert registered["registerCase"]["case"]["customer"]["name"] == "Måsen"


async def test_archiving_refuses_foreign_ids_and_the_portal(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant()
    theirs = await _place(other, "Annans")
    for kind in ("Customer", "Contact", "Object", "Project"):
        for verb in ("archive", "restore"):
            data = await api.data(
                _archive(kind, verb), {"input": {"id": theirs[kind]["id"]}}, tenant.admin_token
            )
            assert errors_by_field(data[f"{verb}{kind}"]) == {("input", "id"): "NOT_FOUND"}
    still = await api.data(LISTS, token=other.admin_token)
    assert _names(still["customers"]) == ["Annans"]

    customer = await tenant.create_customer("Solbacken")
    contact = await tenant.create_portal_contact(customer["id"])
    for kind, id_ in [("Customer", customer["id"]), ("Contact", contact["id"])]:
        codes = await api.error_codes(_archive(kind), {"input": {"id": id_}}, contact["token"])
        assert codes == ["FORBIDDEN"]
    assert _names((await api.data(LISTS, token=tenant.admin_token))["customers"]) == ["Solbacken"]
