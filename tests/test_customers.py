"""Customers with contacts, portal access, objects and projects."""

from __future__ import annotations

from tests.support.client import PASSWORD, Api, unique

CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id name email phone portalAccess customer { id name } } userErrors { field message code } } }"""
ENABLE_PORTAL = """mutation($input: EnablePortalAccessInput!) { enablePortalAccess(input: $input) {
  contact { id portalAccess } userErrors { field message code } } }"""
CREATE_OBJECT = """mutation($input: CreateObjectInput!) { createObject(input: $input) {
  object { id name address location { lat lng } customer { id } } userErrors { field code } } }"""
CREATE_PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id name customer { id name } } userErrors { field code } } }"""
CUSTOMERS = """query($search: String) { customers(search: $search) {
  totalCount edges { node { id name orgNumber location { lat lng } contacts { name } } } } }"""
PORTAL_LOGIN = """mutation($e: String!, $p: String!) { portalLogin(email: $e, password: $p) {
  token viewer { kind user { id } contact { id name } } userErrors { code } } }"""


async def test_customer_with_location_and_contacts(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    customer = await tenant.create_customer(
        "Brf Solbacken",
        orgNumber="769612-3456",
        address="Storgatan 3, Göteborg",
        location={"lat": 57.7089, "lng": 11.9746},
    )
    data = await api.data(
        CREATE_CONTACT,
        {"input": {"customerId": customer["id"], "name": "Karin Svensson", "email": "K@Ex.se"}},
        member["token"],
    )
    contact = data["createContact"]["contact"]
    assert contact["email"] == "k@ex.se"
    assert contact["customer"] == customer
    assert contact["portalAccess"] is False

    listed = await api.data(CUSTOMERS, {"search": "solback"}, member["token"])
    assert listed["customers"]["totalCount"] == 1
    node = listed["customers"]["edges"][0]["node"]
    assert node["orgNumber"] == "769612-3456"
    assert node["location"] == {"lat": 57.7089, "lng": 11.9746}
    assert node["contacts"] == [{"name": "Karin Svensson"}]


async def test_customer_input_is_validated(api: Api) -> None:
    tenant = await api.new_tenant()
    data = await api.data(
        """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
             customer { id } userErrors { field code } } }""",
        {"input": {"name": "", "email": "nope", "location": {"lat": 91, "lng": 0}}},
        tenant.admin_token,
    )
    assert data["createCustomer"]["customer"] is None
    assert {tuple(e["field"]) for e in data["createCustomer"]["userErrors"]} == {
        ("input", "name"),
        ("input", "email"),
        ("input", "location"),
    }
    assert (await api.data(CUSTOMERS, token=tenant.admin_token))["customers"]["totalCount"] == 0


async def test_contact_signs_in_to_the_portal(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    email = f"{unique('karin')}@kund.se"
    contact = (
        await api.data(
            CREATE_CONTACT,
            {"input": {"customerId": customer["id"], "name": "Karin", "email": email}},
            tenant.admin_token,
        )
    )["createContact"]["contact"]
    short = await api.data(
        ENABLE_PORTAL, {"input": {"contactId": contact["id"], "password": "x"}}, tenant.admin_token
    )
    assert short["enablePortalAccess"]["userErrors"][0]["field"] == ["input", "password"]
    enabled = await api.data(
        ENABLE_PORTAL,
        {"input": {"contactId": contact["id"], "password": PASSWORD}},
        tenant.admin_token,
    )
    assert enabled["enablePortalAccess"]["contact"]["portalAccess"] is True

    # A staff login does not work for a contact, and vice versa.
    assert (await api.data(PORTAL_LOGIN, {"e": tenant.admin_email, "p": PASSWORD}))["portalLogin"][
        "userErrors"
    ][0]["code"] == "INVALID"
    data = await api.data(PORTAL_LOGIN, {"e": email, "p": PASSWORD})
    login = data["portalLogin"]
    assert login["viewer"] == {
        "kind": "CONTACT",
        "user": None,
        "contact": {"id": contact["id"], "name": "Karin"},
    }
    viewer = await api.data("{ viewer { kind contact { id } } }", token=login["token"])
    assert viewer["viewer"] == {"kind": "CONTACT", "contact": {"id": contact["id"]}}


async def test_portal_access_needs_an_email(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = (
        await api.data(
            CREATE_CONTACT,
            {"input": {"customerId": customer["id"], "name": "Utan E-post"}},
            tenant.admin_token,
        )
    )["createContact"]["contact"]
    data = await api.data(
        ENABLE_PORTAL,
        {"input": {"contactId": contact["id"], "password": PASSWORD}},
        tenant.admin_token,
    )
    assert data["enablePortalAccess"]["userErrors"][0]["code"] == "REQUIRED"


async def test_objects_and_projects(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Fastighets AB Kvarnen")
    data = await api.data(
        CREATE_OBJECT,
        {
            "input": {
                "name": "Undercentral värme",
                "customerId": customer["id"],
                "address": "Kvarngatan 1, Mölndal",
                "location": {"lat": 57.6554, "lng": 12.0138},
            }
        },
        tenant.admin_token,
    )
    obj = data["createObject"]["object"]
    assert obj["location"] == {"lat": 57.6554, "lng": 12.0138}
    assert obj["customer"] == {"id": customer["id"]}
    standalone = await api.data(
        CREATE_OBJECT, {"input": {"name": "Pumpstation"}}, tenant.admin_token
    )
    assert standalone["createObject"]["object"]["customer"] is None

    data = await api.data(
        CREATE_PROJECT,
        {"input": {"name": "Stambyte 2027", "customerId": customer["id"]}},
        tenant.admin_token,
    )
    assert data["createProject"]["project"]["customer"]["name"] == "Fastighets AB Kvarnen"
    bad = await api.data(
        CREATE_PROJECT, {"input": {"name": "X", "customerId": "garbage"}}, tenant.admin_token
    )
    assert bad["createProject"]["userErrors"] == [
        {"field": ["input", "customerId"], "code": "NOT_FOUND"}
    ]
