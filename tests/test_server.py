"""The server's own endpoints: health, GraphiQL, GraphQL over GET."""

from __future__ import annotations

from tests.support.client import Api


async def test_health_is_ok_once_connected(api: Api) -> None:
    response = await api.http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_graphql_over_get_runs_queries_and_refuses_mutations(api: Api) -> None:
    tenant = await api.new_tenant()
    headers = {"Authorization": f"Bearer {tenant.admin_token}", "Accept": "application/json"}
    response = await api.http.get(
        "/graphql", params={"query": "{ viewer { kind } }"}, headers=headers
    )
    assert response.json() == {"data": {"viewer": {"kind": "STAFF"}}}
    response = await api.http.get(
        "/graphql", params={"query": "mutation { logout { ok } }"}, headers=headers
    )
    assert response.status_code == 405
