"""The map view: cases inside the map's window, combined with every other filter."""

from __future__ import annotations

from typing import Any

from tests.support.client import Api

MAP = """query($scope: CaseScope, $filter: CaseFilter, $search: String) {
  cases(scope: $scope, filter: $filter, search: $search, first: 100) {
    edges { node { title location { lat lng } } } } }"""
GÖTEBORG = {"south": 57.60, "west": 11.80, "north": 57.80, "east": 12.10}


async def on_map(api: Api, token: str, **arguments: Any) -> dict[str, Any]:
    data = await api.data(MAP, arguments, token)
    return {e["node"]["title"]: e["node"]["location"] for e in data["cases"]["edges"]}


async def test_cases_inside_the_window(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    o = await tenant.options()
    solbacken = await tenant.create_customer(
        "Brf Solbacken", location={"lat": 57.7089, "lng": 11.9746}
    )
    await tenant.register_case(title="Hos kunden", customerId=solbacken["id"])
    await tenant.register_case(
        title="Egen plats i Göteborg",
        location={"lat": 57.65, "lng": 12.01},
        assignedUserIds=[erik["id"]],
        statusId=o["statuses"]["Avslutad"],
    )
    await tenant.register_case(title="Malmö", location={"lat": 55.6135, "lng": 12.979})
    await tenant.register_case(title="Utan plats")
    token = tenant.admin_token

    assert await on_map(api, token, filter={"within": GÖTEBORG}) == {
        "Hos kunden": {"lat": 57.7089, "lng": 11.9746},
        "Egen plats i Göteborg": {"lat": 57.65, "lng": 12.01},
    }
    window = {"within": GÖTEBORG}
    assert list(await on_map(api, token, filter={**window, "open": True})) == ["Hos kunden"]
    assert list(await on_map(api, token, filter={**window, "open": False})) == [
        "Egen plats i Göteborg"
    ]
    assert list(await on_map(api, token, filter=window, search="solbacken")) == ["Hos kunden"]
    assert list(await on_map(api, erik["token"], scope="MINE", filter=window)) == [
        "Egen plats i Göteborg"
    ]
    sweden = {"south": 55.0, "west": 10.0, "north": 69.0, "east": 24.0}
    assert set(await on_map(api, token, filter={"within": sweden})) == {
        "Hos kunden",
        "Egen plats i Göteborg",
        "Malmö",
    }


async def test_a_window_across_the_antimeridian(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.register_case(title="Fiji", location={"lat": -17.7, "lng": 178.0})
    await tenant.register_case(title="Samoa", location={"lat": -13.8, "lng": -172.1})
    await tenant.register_case(title="Australien", location={"lat": -27.5, "lng": 153.0})
    pacific = {"south": -30.0, "west": 170.0, "north": 0.0, "east": -160.0}
    assert set(await on_map(api, tenant.admin_token, filter={"within": pacific})) == {
        "Fiji",
        "Samoa",
    }


async def test_a_window_upside_down_is_bad_input(api: Api) -> None:
    tenant = await api.new_tenant()
    box = {"south": 58.0, "west": 11.0, "north": 57.0, "east": 12.0}
    codes = await api.error_codes(MAP, {"filter": {"within": box}}, tenant.admin_token)
    assert codes == ["BAD_USER_INPUT"]


async def test_a_window_pages_newest_first_past_cases_outside_it(api: Api) -> None:
    tenant = await api.new_tenant()
    for i in range(5):
        await tenant.register_case(title=f"Göteborg {i}", location={"lat": 57.7, "lng": 11.97})
        await tenant.register_case(title=f"Malmö {i}", location={"lat": 55.6, "lng": 12.98})
    await tenant.register_case(title="Utan plats")
    page = """query($after: String) { cases(filter: {within: {south: 57.6, west: 11.8,
      north: 57.8, east: 12.1}}, first: 2, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { title } } } }"""
    seen: list[str] = []
    after = None
    while True:
        data = (await api.data(page, {"after": after}, tenant.admin_token))["cases"]
        seen += [e["node"]["title"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == [f"Göteborg {i}" for i in reversed(range(5))]
