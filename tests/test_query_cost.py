"""A document's cost is measured in time linear in its size, and errors do not spell out the schema.

Fragments that spread the next one twice expand to 2^n selections from a few hundred
bytes; they are refused at once, over HTTP and WebSocket, while /health keeps answering.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import Api

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

# Far below what the refused documents cost before (9-12 s for 20 levels, doubling with each
# level), and far above what they cost now (milliseconds), so a busy machine does not fail it.
QUICK = 5.0
TOO_MANY = "too many selections once its fragments are expanded"


def bomb(levels: int, shape: str = "root", leaf: str = "__typename") -> str:
    """Fragment i spreads fragment i+1 twice: `levels` lines that expand to 2^levels leaves."""
    if shape == "root":
        head = "query { ...F0 }"
        body = "fragment F{i} on Query {{ ...F{j} ...F{j} }}"
        last = f"fragment F{levels} on Query {{ {leaf} }}"
    elif shape == "inside a field":
        head = "query { viewer { ...F0 } }"
        body = "fragment F{i} on Viewer {{ ...F{j} ...F{j} }}"
        last = f"fragment F{levels} on Viewer {{ {leaf} }}"
    elif shape == "inline fragments":
        head = "query { ...F0 }"
        body = "fragment F{i} on Query {{ ... on Query {{ ...F{j} }} ... on Query {{ ...F{j} }} }}"
        last = f"fragment F{levels} on Query {{ {leaf} }}"
    else:
        raise ValueError(shape)
    return " ".join([head, *(body.format(i=i, j=i + 1) for i in range(levels)), last])


async def timed_post(api: Api, query: str, token: str | None = None) -> tuple[float, Any]:
    started = time.monotonic()
    body = await api.post(query, token=token)
    return time.monotonic() - started, body


def messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors") or []]


@pytest.mark.parametrize("shape", ["root", "inside a field", "inline fragments"])
@pytest.mark.parametrize("levels", [20, 25, 30])
async def test_a_fragment_bomb_is_refused_at_once(api: Api, shape: str, levels: int) -> None:
    query = bomb(levels, shape)
    assert len(query.encode()) < 3000
    elapsed, body = await timed_post(api, query)
    assert elapsed < QUICK
    assert body["data"] is None
    assert any(TOO_MANY in m for m in messages(body)), body


async def test_health_answers_while_bombs_are_being_refused(api: Api) -> None:
    async def health() -> float:
        started = time.monotonic()
        response = await api.http.get("/health")
        assert response.status_code == 200
        return time.monotonic() - started

    bombs = [timed_post(api, bomb(levels)) for levels in (24, 26, 28, 30)] * 2
    *answers, waited = await asyncio.gather(*bombs, health())
    assert waited < QUICK
    for elapsed, body in answers:
        assert elapsed < QUICK * 2
        assert any(TOO_MANY in m for m in messages(body))


async def test_a_bomb_over_websocket_is_an_error_for_that_operation(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        started = time.monotonic()
        operation = await socket.subscribe(bomb(28))
        message = await socket.receive()
        assert time.monotonic() - started < QUICK
        assert message["id"] == operation
        assert message["type"] == "error"
        assert any(TOO_MANY in e["message"] for e in message["payload"])
        # The socket is still good for real work.
        assert (await socket.execute("{ viewer { kind } }"))["data"] == {
            "viewer": {"kind": "STAFF"}
        }


async def test_aliases_count_once_for_every_time_their_fragment_is_spread(api: Api) -> None:
    tenant = await api.new_tenant()
    # 2^4 = 16 aliases are fine, and the document runs.
    data = await api.data(bomb(4, leaf="alias: __typename"), token=tenant.admin_token)
    assert data == {"alias": "Query"}
    # 2^5 = 32 is over the limit of 30, though the text has a single alias.
    body = await api.post(bomb(5, leaf="alias: __typename"), token=tenant.admin_token)
    assert body["data"] is None
    assert messages(body) == ["32 aliases found. Allowed: 30"]
    # So many that counting them one by one would never end.
    elapsed, body = await timed_post(api, bomb(30, "inside a field", "alias: kind"))
    assert elapsed < QUICK
    assert "More than 1000000000 aliases found. Allowed: 30" in messages(body)


async def test_depth_is_counted_through_fragments(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()

    def document(levels: int) -> str:
        # Each fragment goes two levels deeper: contacts { customer { ...next } }.
        parts = ["query($id: ID!) { node(id: $id) { ...C0 } }"]
        parts += [
            f"fragment C{i} on Customer {{ id contacts {{ customer {{ ...C{i + 1} }} }} }}"
            for i in range(levels)
        ]
        parts.append(f"fragment C{levels} on Customer {{ id }}")
        return " ".join(parts)

    # The deepest `id` is at 1 + 2 * levels: 11 is within the limit of 12, 13 is not.
    variables = {"id": customer["id"]}
    assert await api.data(document(5), variables, tenant.admin_token)
    body = await api.post(document(6), variables, tenant.admin_token)
    assert messages(body) == ["'anonymous' exceeds maximum operation depth of 12"]


async def test_selections_are_counted_without_expanding(api: Api) -> None:
    tenant = await api.new_tenant()
    # 2^9 leaves and the spreads that reach them: 1,534 selections, over the 1,000 allowed.
    body = await api.post(bomb(9), token=tenant.admin_token)
    assert body["data"] is None
    assert any(TOO_MANY in m for m in messages(body))
    # 2^8: 766 selections, within it; the document runs.
    assert await api.data(bomb(8), token=tenant.admin_token) == {"__typename": "Query"}


async def test_a_real_document_with_fragments_runs(api: Api) -> None:
    tenant = await api.new_tenant()
    query = """
      query Me { viewer { ...Who ... on Viewer { user { ...Person } } } }
      fragment Who on Viewer { kind user { ...Person } }
      fragment Person on User { id name email }
    """
    data = await api.data(query, token=tenant.admin_token)
    assert data["viewer"]["kind"] == "STAFF"
    assert data["viewer"]["user"]["email"] == tenant.admin_email


async def test_the_same_field_selected_again_and_again_is_refused_early(api: Api) -> None:
    # graphql-core compares same-named fields pairwise: 300 of them took half a second
    # within its own budget. Ours stops after a few milliseconds' worth of comparisons.
    shapes = [
        "{ " + "viewer { kind } " * 300 + "}",
        "query { "
        + " ".join(f"...F{i}" for i in range(300))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ viewer {{ kind }} }}" for i in range(300)),
        "{ viewer { " + "user { id } " * 400 + "} }",
    ]
    for query in shapes:
        elapsed, body = await timed_post(api, query)
        assert elapsed < QUICK
        assert messages(body) == ["Validation aborted."], body


SUGGESTIVE = [
    # (document, variables): each mistake is one graphql-core would answer with a suggestion.
    ("{ viewr { kind } }", {}),
    ("{ cases(scop: MINE) { totalCount } }", {}),
    ("{ cases(scope: MIN) { totalCount } }", {}),
    ("query($s: CaseScop) { cases(scope: $s) { totalCount } }", {}),
    ("{ ...on Viewr { __typename } }", {}),
    # Found only when the operation runs: the variables' values.
    ("query($s: CaseScope) { cases(scope: $s) { totalCount } }", {"s": "MIN"}),
    ("query($f: CaseFilter) { cases(filter: $f) { totalCount } }", {"f": {"statusId": []}}),
]


async def suggestions(api: Api, token: str) -> list[bool]:
    """For each mistake, whether its error suggests a name, over HTTP and over WebSocket."""
    found = []
    async with api.ws(token) as socket:
        for query, variables in SUGGESTIVE:
            body = await api.post(query, variables, token)
            operation = await socket.subscribe(query, variables)
            message = await socket.receive()
            assert message["id"] == operation
            errors = body["errors"] + (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            if message["type"] == "next":
                assert await socket.receive() == {"id": operation, "type": "complete"}
            said = [e["message"] for e in errors]
            assert said, query
            found.append(any("Did you mean" in m for m in said))
    return found


async def test_no_suggestions_while_introspection_is_off(api_with: ApiWith) -> None:
    async with api_with(introspection=False) as closed:
        tenant = await closed.new_tenant()
        assert await suggestions(closed, tenant.admin_token) == [False] * len(SUGGESTIVE)
    async with api_with(introspection=True) as opened:
        tenant = await opened.new_tenant()
        assert await suggestions(opened, tenant.admin_token) == [True] * len(SUGGESTIVE)


async def test_variables_nested_too_deep_are_a_clean_error(api: Api) -> None:
    query = "query($v: [Int]) { __typename @include(if: true) v: __typename }"
    too_deep = "[" * 100_000 + "]" * 100_000
    body = '{"query": "' + query + '", "variables": {"v": ' + too_deep + "}}"
    response = await api.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Unable to parse request body as JSON"
    get_deep = "[" * 5_000 + "]" * 5_000  # what fits in a URL, still too deep
    response = await api.http.get("/graphql", params={"query": query, "variables": get_deep})
    assert response.status_code == 400
    # Deep, but within what the decoder takes: an ordinary GraphQL error.
    deep = {"v": json.loads("[" * 900 + "1" + "]" * 900)}
    body = await api.post("query($v: [Int]) { n: __typename @skip(if: false) }", deep)
    assert body["data"] is None
    assert "Variable '$v' is never used." in messages(body)
    used = await api.post("query($v: [Int]) { node(id: $v) { id } }", deep)
    assert used["data"] is None
    assert used["errors"][0].get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR"
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        await socket.socket.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }",'
            ' "variables": {"v": ' + too_deep + "}}}"
        )
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
