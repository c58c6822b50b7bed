"""Correcting customers, contacts, objects and projects: only what is sent changes."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import errors_by_field, mutation
from tests.support.client import Api, Tenant

ERRORS = "userErrors { field message code }"
UPDATE_CUSTOMER = mutation(
    "updateCustomer",
    "UpdateCustomerInput",
    f"customer {{ id name email phone orgNumber address location {{ lat lng }} }} {ERRORS}",
)
UPDATE_CONTACT = mutation(
    "updateContact", "UpdateContactInput", f"contact {{ id name email phone }} {ERRORS}"
)
UPDATE_OBJECT = mutation(
    "updateObject",
    "UpdateObjectInput",
    f"object {{ id name address location {{ lat lng }} customer {{ id }} }} {ERRORS}",
)
UPDATE_PROJECT = mutation(
    "updateProject", "UpdateProjectInput", f"project {{ id name customer {{ id }} }} {ERRORS}"
)
CUSTOMER = """query($id: ID!) { node(id: $id) { ... on Customer {
  id name email phone orgNumber address location { lat lng } } } }"""


async def _project(tenant: Tenant, name: str, customer_id: str | None = None) -> dict[str, Any]:
    data = await tenant.api.data(
        mutation("createProject", "CreateProjectInput", f"project {{ id name }} {ERRORS}"),
        {"input": {"name": name, "customerId": customer_id}},
        tenant.admin_token,
    )
    project: dict[str, Any] = data["createProject"]["project"]
    return project


async def test_a_customer_changes_only_in_the_fields_sent(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    customer = await tenant.create_customer(
        "Brf Solbacken",
        email="styrelsen@solbacken.se",
        phone="031-123456",
        address="Storgatan 3",
        location={"lat": 57.7, "lng": 11.97},
    )
    data = await api.data(
        UPDATE_CUSTOMER,
        {
            "input": {
                "id": customer["id"],
                "name": " Brf Solbacken Övre ",
                "orgNumber": "769612-3456",
            }
        },
        member["token"],
    )
    assert data["updateCustomer"] == {
        "customer": {
            "id": customer["id"],
            "name": "Brf Solbacken Övre",
            "email": "styrelsen@solbacken.se",
            "phone": "+4631123456",
            "orgNumber": "769612-3456",
            "address": "Storgatan 3",
            "location": {"lat": 57.7, "lng": 11.97},
        },
        "userErrors": [],
    }
    cleared = await api.data(
        UPDATE_CUSTOMER,
        {"input": {"id": customer["id"], "email": None, "location": None, "address": None}},
        member["token"],
    )
    assert cleared["updateCustomer"]["customer"] | {"name": "?"} == {
        "id": customer["id"],
        "name": "?",
        "email": None,
        "phone": "+4631123456",
        "orgNumber": "769612-3456",
        "address": None,
        "location": None,
    }


async def test_bad_corrections_write_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Brf Solbacken", email="a@solbacken.se")
    before = (await api.data(CUSTOMER, {"id": customer["id"]}, tenant.admin_token))["node"]
    for given, expected in [
        ({"name": None}, {("input", "name"): "REQUIRED"}),
        ({"name": "   "}, {("input", "name"): "REQUIRED"}),
        ({"name": "x" * 201}, {("input", "name"): "INVALID"}),
        (
            {"name": "Nytt namn", "email": "inte-en-adress", "phone": "123"},
            {("input", "email"): "INVALID", ("input", "phone"): "INVALID"},
        ),
        ({"orgNumber": "1" * 33, "location": {"lat": 91, "lng": 0}},
         {("input", "orgNumber"): "INVALID", ("input", "location"): "INVALID"}),
        ({"phone": "٠٣١١٢٣٤٥٦"}, {("input", "phone"): "INVALID"}),
    ]:  # fmt: skip
        data = await api.data(
            UPDATE_CUSTOMER, {"input": {"id": customer["id"], **given}}, tenant.admin_token
        )
        assert data["updateCustomer"]["customer"] is None
        assert errors_by_field(data["updateCustomer"]) == expected, given
    after = (await api.data(CUSTOMER, {"id": customer["id"]}, tenant.admin_token))["node"]
    assert after == before


async def test_another_tenants_things_are_not_found(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant()
    customer = await other.create_customer("Annans kund")
    contact = await other.create_contact(customer["id"], "Annans kontakt")
    obj = await other.create_object("Annans objekt")
    project = await _project(other, "Annans projekt")
    for document, field, id_ in [
        (UPDATE_CUSTOMER, "updateCustomer", customer["id"]),
        (UPDATE_CONTACT, "updateContact", contact["id"]),
        (UPDATE_OBJECT, "updateObject", obj["id"]),
        (UPDATE_PROJECT, "updateProject", project["id"]),
        (UPDATE_PROJECT, "updateProject", customer["id"]),  # an id of the wrong kind
        (UPDATE_OBJECT, "updateObject", "inte-ett-id"),
    ]:
        data = await api.data(
            document, {"input": {"id": id_, "name": "Mitt nu"}}, tenant.admin_token
        )
        assert errors_by_field(data[field]) == {("input", "id"): "NOT_FOUND"}, (field, id_)
    still = await api.data(CUSTOMER, {"id": customer["id"]}, other.admin_token)
    assert still["node"]["name"] == "Annans kund"
    # Moving one's own object or project to another tenant's customer: NOT_FOUND too.
    mine = await tenant.create_object("Mitt objekt")
    moved = await api.data(
        UPDATE_OBJECT,
        {"input": {"id": mine["id"], "customerId": customer["id"]}},
        tenant.admin_token,
    )
    assert errors_by_field(moved["updateObject"]) == {("input", "customerId"): "NOT_FOUND"}


async def test_contacts_objects_and_projects_are_corrected(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    solbacken = await tenant.create_customer("Brf Solbacken")
    kvarnen = await tenant.create_customer("Fastighets AB Kvarnen")
    contact = await tenant.create_contact(solbacken["id"], "Karin", "karin@solbacken.se")
    data = await api.data(
        UPDATE_CONTACT,
        {"input": {"id": contact["id"], "name": "Karin Svensson", "phone": "070-123 45 67"}},
        member["token"],
    )
    assert data["updateContact"]["contact"] == {
        "id": contact["id"],
        "name": "Karin Svensson",
        "email": "karin@solbacken.se",
        "phone": "+46701234567",
    }
    bad = await api.data(
        UPDATE_CONTACT, {"input": {"id": contact["id"], "email": "@"}}, member["token"]
    )
    assert errors_by_field(bad["updateContact"]) == {("input", "email"): "INVALID"}

    obj = await tenant.create_object("Tvättstuga", customerId=solbacken["id"])
    data = await api.data(
        UPDATE_OBJECT,
        {
            "input": {
                "id": obj["id"],
                "name": "Tvättstuga hus B",
                "customerId": kvarnen["id"],
                "location": {"lat": 57.65, "lng": 12.01},
            }
        },
        member["token"],
    )
    assert data["updateObject"]["object"] == {
        "id": obj["id"],
        "name": "Tvättstuga hus B",
        "address": None,
        "location": {"lat": 57.65, "lng": 12.01},
        "customer": {"id": kvarnen["id"]},
    }
    standalone = await api.data(
        UPDATE_OBJECT, {"input": {"id": obj["id"], "customerId": None}}, member["token"]
    )
    assert standalone["updateObject"]["object"]["customer"] is None

    project = await _project(tenant, "Stambyte", solbacken["id"])
    data = await api.data(
        UPDATE_PROJECT,
        {"input": {"id": project["id"], "name": "Stambyte 2027", "customerId": kvarnen["id"]}},
        member["token"],
    )
    assert data["updateProject"]["project"] == {
        "id": project["id"],
        "name": "Stambyte 2027",
        "customer": {"id": kvarnen["id"]},
    }
    blank = await api.data(
        UPDATE_PROJECT, {"input": {"id": project["id"], "name": ""}}, member["token"]
    )
    assert errors_by_field(blank["updateProject"]) == {("input", "name"): "REQUIRED"}


async def test_the_portal_cannot_correct_anything(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_portal_contact(customer["id"])
    for document, id_ in [(UPDATE_CUSTOMER, customer["id"]), (UPDATE_CONTACT, contact["id"])]:
        codes = await api.error_codes(
            document, {"input": {"id": id_, "name": "Portalen"}}, contact["token"]
        )
        assert codes == ["FORBIDDEN"]
    assert (await api.data(CUSTOMER, {"id": customer["id"]}, tenant.admin_token))["node"][
        "name"
    ] == "Brf Solbacken"
