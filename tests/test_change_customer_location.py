"""After changeCaseCustomer a location that came from the old customer or object follows the
new customer; one that was given stays."""

from __future__ import annotations

from typing import Any

from db.models import Case
from graph.ids import pk_of
from tests.support.client import Api, Tenant

CHANGE = """mutation($c: ID!, $k: ID!) { changeCaseCustomer(input: {caseId: $c, customerId: $k})
  { case { location { lat lng } object { name } } userErrors { field code } } }"""
LOCATION = "query($id: ID!) { case(id: $id) { location { lat lng } } }"
GÖTEBORG = {"lat": 57.7089, "lng": 11.9746}
MALMÖ = {"lat": 55.605, "lng": 13.0038}
KIRUNA = {"lat": 67.8558, "lng": 20.2253}
LUND = {"lat": 55.7047, "lng": 13.191}


async def change(tenant: Tenant, case: dict[str, Any], customer: dict[str, Any]) -> Any:
    data = await tenant.api.data(CHANGE, {"c": case["id"], "k": customer["id"]}, tenant.admin_token)
    payload = data["changeCaseCustomer"]
    assert payload["userErrors"] == [], payload
    return payload["case"]


async def test_a_location_from_the_customer_or_object_follows_the_new_customer(api: Api) -> None:
    tenant = await api.new_tenant()
    göteborg = await tenant.create_customer("Brf Göteborg", location=GÖTEBORG)
    malmö = await tenant.create_customer("Brf Malmö", location=MALMÖ)
    nowhere = await tenant.create_customer("Kund utan plats")

    from_customer = await tenant.register_case(customerId=göteborg["id"])
    assert (await change(tenant, from_customer, malmö))["location"] == MALMÖ
    # Moved again, to a customer without a place: the case has none either.
    assert (await change(tenant, from_customer, nowhere))["location"] is None
    # ... and from there it takes the next customer's.
    assert (await change(tenant, from_customer, göteborg))["location"] == GÖTEBORG

    # The object's place goes with the object, which belongs to the old customer.
    tvättstuga = await tenant.create_object(
        "Tvättstuga", customerId=göteborg["id"], location=KIRUNA
    )
    from_object = await tenant.register_case(objectId=tvättstuga["id"])
    moved = await change(tenant, from_object, malmö)
    assert moved == {"location": MALMÖ, "object": None}

    # An object of no customer stays on the case, and so does its place.
    pump = await tenant.create_object("Pumpstation", location=LUND)
    on_free_object = await tenant.register_case(customerId=göteborg["id"], objectId=pump["id"])
    assert (await api.data(LOCATION, {"id": on_free_object["id"]}, tenant.admin_token))["case"][
        "location"
    ] == LUND
    assert await change(tenant, on_free_object, malmö) == {
        "location": LUND,
        "object": {"name": "Pumpstation"},
    }


async def test_a_location_given_stays_when_the_customer_changes(api: Api) -> None:
    tenant = await api.new_tenant()
    göteborg = await tenant.create_customer("Brf Göteborg", location=GÖTEBORG)
    malmö = await tenant.create_customer("Brf Malmö", location=MALMÖ)
    nowhere = await tenant.create_customer("Kund utan plats")

    given = await tenant.register_case(customerId=göteborg["id"], location=KIRUNA)
    assert (await change(tenant, given, malmö))["location"] == KIRUNA
    assert (await change(tenant, given, nowhere))["location"] == KIRUNA

    # Given later with updateCase, it stays too; even when it is where the customer is.
    later = await tenant.register_case(customerId=göteborg["id"])
    updated = await api.data(
        """mutation($id: ID!, $l: GeoPointInput) { updateCase(input: {id: $id, location: $l})
             { userErrors { code } } }""",
        {"id": later["id"], "l": GÖTEBORG},
        tenant.admin_token,
    )
    assert updated["updateCase"]["userErrors"] == []
    assert (await change(tenant, later, malmö))["location"] == GÖTEBORG

    # The event log says where it went.
    events = await api.data(
        """query($id: ID!) { case(id: $id) { events { edges { node { action
             changes { field from to } } } } } }""",
        {"id": given["id"]},
        tenant.admin_token,
    )
    logged = [
        c["field"]
        for e in events["case"]["events"]["edges"]
        if e["node"]["action"] == "CUSTOMER_CHANGED"
        for c in e["node"]["changes"]
    ]
    assert "location" not in logged


async def test_cases_from_before_the_source_was_kept(api: Api) -> None:
    tenant = await api.new_tenant()
    göteborg = await tenant.create_customer("Brf Göteborg", location=GÖTEBORG)
    malmö = await tenant.create_customer("Brf Malmö", location=MALMÖ)
    at_customer = await tenant.register_case(customerId=göteborg["id"])
    elsewhere = await tenant.register_case(customerId=göteborg["id"], location=KIRUNA)
    for case in (at_customer, elsewhere):
        async with api.db.transaction(tenant.pk) as session:
            row = await session.get(Case, pk_of(case["id"], "Case"))
            assert row is not None
            row.location_source = None

    # Where the old customer is: taken from it, so it follows; elsewhere: the case's own.
    assert (await change(tenant, at_customer, malmö))["location"] == MALMÖ
    assert (await change(tenant, elsewhere, malmö))["location"] == KIRUNA
