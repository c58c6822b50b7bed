"""Abuse limits: every one answers with a clean GraphQL-shaped error, never a 500 or a hang."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import Api

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]


def nested_customer_query(depth: int) -> str:
    inner = "id"
    for level in range(depth):
        inner = f"contacts {{ customer {{ {inner} }} }}" if level % 2 == 0 else inner
    return f"query($id: ID!) {{ node(id: $id) {{ ... on Customer {{ {inner} }} }} }}"


async def test_too_deep_a_query_is_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    response = await api.http.post(
        "/graphql",
        json={"query": nested_customer_query(14), "variables": {"id": customer["id"]}},
        headers={"Authorization": f"Bearer {tenant.admin_token}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    shallow = await api.data(nested_customer_query(4), {"id": customer["id"]}, tenant.admin_token)
    assert shallow["node"]["contacts"] == []


async def test_too_many_tokens_are_refused_before_parsing(api: Api) -> None:
    tenant = await api.new_tenant()
    query = "{ " + " ".join("__typename" for _ in range(4100)) + " }"
    body = await api.post(query, token=tenant.admin_token)
    assert body["data"] is None
    assert "more than 4000 tokens" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    query = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(31)) + " }"
    body = await api.post(query, token=tenant.admin_token)
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]
    allowed = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(30)) + " }"
    assert len(await api.data(allowed, token=tenant.admin_token)) == 30


async def test_page_size_is_capped_and_never_negative(api: Api) -> None:
    tenant = await api.new_tenant()
    for batch in range(4):
        mutation = (
            "mutation { "
            + " ".join(
                f'c{i}: createCustomer(input: {{name: "Kund {batch}-{i}"}}) {{ userErrors {{ code }} }}'
                for i in range(27)
            )
            + " }"
        )
        await api.data(mutation, token=tenant.admin_token)
    query = "query($first: Int) { customers(first: $first) { totalCount edges { cursor } } }"
    page = await api.data(query, {"first": 1000}, tenant.admin_token)
    assert page["customers"]["totalCount"] == 108
    assert len(page["customers"]["edges"]) == 100
    default = await api.data(query, {}, tenant.admin_token)
    assert len(default["customers"]["edges"]) == 20
    assert await api.error_codes(query, {"first": -1}, tenant.admin_token) == ["BAD_USER_INPUT"]
    # Beyond a 32-bit Int is a variable coercion error, not an overflow somewhere deeper.
    body = await api.post(query, {"first": 2**40}, tenant.admin_token)
    assert body["data"] is None
    assert "Int cannot represent" in body["errors"][0]["message"]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_oversized_body_is_413_with_a_graphql_error(api: Api, declared: bool) -> None:
    payload = json.dumps({"query": "{ __typename }", "variables": {"x": "å" * 600_000}})
    if declared:
        content: Any = payload.encode()
    else:

        async def chunks() -> AsyncIterator[bytes]:
            data = payload.encode()
            for start in range(0, len(data), 65_536):
                yield data[start : start + 65_536]

        content = chunks()
    response = await api.http.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    # A body just under the limit is served.
    ok = await api.http.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"x": "a" * 900_000}}
    )
    assert ok.json() == {"data": {"__typename": "Query"}}


async def test_an_oversized_websocket_message_closes_with_1009(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        await socket.send(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "{ __typename }" + " " * 1_100_000},
            }
        )
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


async def test_subscriptions_per_connection_are_limited(api_with: ApiWith) -> None:
    async with api_with(max_subscriptions_per_connection=2) as api:
        tenant = await api.new_tenant()
        async with api.ws(tenant.admin_token) as socket:
            for _ in range(2):
                await socket.subscribe("subscription { notificationReceived { id } }")
            third = await socket.subscribe("subscription { notificationReceived { id } }")
            message = await socket.receive()
        assert message["id"] == third
        assert message["type"] == "error"
        assert message["payload"][0]["message"] == "Subscription limit reached"


async def test_websockets_per_viewer_are_limited(api_with: ApiWith) -> None:
    async with api_with(max_connections_per_viewer=2) as api:
        tenant = await api.new_tenant()
        other = await tenant.create_user()
        async with api.ws(tenant.admin_token), api.ws(tenant.admin_token):
            with pytest.raises(ConnectionClosed) as closed:
                async with api.ws(tenant.admin_token):
                    pass
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4429
            assert closed.value.rcvd.reason == "Too many connections"
            # Another viewer is counted apart.
            async with api.ws(other["token"]) as socket:
                assert (await socket.execute("{ viewer { kind } }"))["data"]
        # Closed sockets are given back.
        async with api.ws(tenant.admin_token) as socket:
            assert (await socket.execute("{ viewer { kind } }"))["data"]


INTROSPECT = "{ __schema { queryType { name } } }"


async def test_introspection_and_graphiql_are_on_only_in_the_embedded_default(
    api: Api, api_with: ApiWith
) -> None:
    html = {"Accept": "text/html"}
    body = await api.post(INTROSPECT)
    page = await api.http.get("/graphql", headers=html)
    if api.backend == "sqlite":  # the embedded default: SQLite file + memory broadcast
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
    else:
        assert body["data"] is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert page.status_code == 404
        assert page.json()["errors"][0]["message"] == "Not Found"
    async with api_with(introspection=False, graphiql=False) as closed:
        body = await closed.post(INTROSPECT)
        assert body["data"] is None
        page = await closed.http.get("/graphql", headers=html)
        assert page.status_code == 404
        # __typename is not introspection: clients rely on it.
        assert await closed.post("{ __typename }") == {"data": {"__typename": "Query"}}
    async with api_with(introspection=True, graphiql=True) as opened:
        assert (await opened.post(INTROSPECT))["data"] is not None
        assert (await opened.http.get("/graphql", headers=html)).status_code == 200
