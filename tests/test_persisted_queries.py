"""Apollo's automatic persisted queries (APQ), as Apollo's link sends them over HTTP.

Without trusted documents, a query sent once with its hash runs later by the hash alone;
with them, the manifest's documents run by hash and nothing else is learnt. An unknown
hash answers `PersistedQueryNotFound` with a 200, so that the link retries with the text.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx

from tests.support.client import Api

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def viewer_query() -> str:
    """A document no other test has sent (the cache lives as long as the server)."""
    return f"query Viewer_{uuid.uuid4().hex} {{ viewer {{ kind }} }}"


def persisted(document: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(document)}}


async def by_hash(api: Api, document: str, token: str | None = None) -> httpx.Response:
    """What Apollo's link sends first: the hash, no query."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.http.post(
        "/graphql", json={"variables": {}, "extensions": persisted(document)}, headers=headers
    )


async def with_text(api: Api, document: str, token: str | None = None) -> httpx.Response:
    """What it sends after PersistedQueryNotFound: the text with the same hash."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": document, "variables": {}, "extensions": persisted(document)}
    return await api.http.post("/graphql", json=body, headers=headers)


async def get_by_hash(api: Api, document: str, token: str) -> httpx.Response:
    """Apollo's `useGETForHashedQueries`: the extensions as JSON in the query string, and
    Apollo Client's default `Accept: */*` (which a browser's page load sends too)."""
    params = {"variables": "{}", "extensions": json.dumps(persisted(document))}
    headers = {"Authorization": f"Bearer {token}", "Accept": "*/*"}
    return await api.http.get("/graphql", params=params, headers=headers)


async def test_a_query_sent_once_with_its_hash_runs_by_hash_after(api: Api) -> None:
    tenant = await api.new_tenant()
    query = viewer_query()
    expected = {"data": {"viewer": {"kind": "STAFF"}}}

    unknown = await by_hash(api, query, tenant.admin_token)
    assert unknown.status_code == 200  # a 400 would make Apollo's link switch APQ off
    assert unknown.json() == NOT_FOUND
    assert "no-cache" in unknown.headers["cache-control"]

    registered = await with_text(api, query, tenant.admin_token)
    assert registered.json() == expected
    assert (await by_hash(api, query, tenant.admin_token)).json() == expected
    assert (await get_by_hash(api, query, tenant.admin_token)).json() == expected
    # The document is shared, the sign-in is not: it runs as whoever sends the hash.
    anonymous = (await by_hash(api, query)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # A mutation by hash is still a mutation: not over GET.
    mutation = f"mutation M_{uuid.uuid4().hex} {{ logout {{ ok }} }}"
    assert (await by_hash(api, mutation, tenant.admin_token)).json() == NOT_FOUND
    signed_in = await api.data("{ viewer { kind } }", token=tenant.admin_token)
    assert signed_in == {"viewer": {"kind": "STAFF"}}
    await with_text(api, mutation, "not-a-token")  # registers it; refused, writes nothing
    assert (await get_by_hash(api, mutation, tenant.admin_token)).status_code == 405
    assert await api.data("{ viewer { kind } }", token=tenant.admin_token) == signed_in


async def test_a_hash_that_is_not_the_querys_is_refused_and_not_learnt(api: Api) -> None:
    tenant = await api.new_tenant()
    query, other = viewer_query(), viewer_query()
    body = {"query": query, "extensions": persisted(other)}
    lying = await api.http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {tenant.admin_token}"}
    )
    assert lying.status_code == 400
    assert "not the query's SHA-256" in lying.json()["errors"][0]["message"]
    # Neither hash now names the query: no one can plant a document under another's hash.
    assert (await by_hash(api, other, tenant.admin_token)).json() == NOT_FOUND
    assert (await by_hash(api, query, tenant.admin_token)).json() == NOT_FOUND


async def test_malformed_persisted_query_extensions_are_bad_requests(api: Api) -> None:
    query = viewer_query()
    cases: list[Any] = [
        {"version": 2, "sha256Hash": sha256(query)},
        {"sha256Hash": sha256(query)},
        {"version": 1, "sha256Hash": "abc"},
        {"version": 1, "sha256Hash": 12},
        "yes",
    ]
    for extension in cases:
        response = await api.http.post(
            "/graphql", json={"query": query, "extensions": {"persistedQuery": extension}}
        )
        assert response.status_code == 400, extension
        assert response.json()["errors"][0]["message"]
    # Hex in capitals is the same hash.
    loud = {"version": 1, "sha256Hash": sha256(query).upper()}
    response = await api.http.post(
        "/graphql", json={"query": query, "extensions": {"persistedQuery": loud}}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_cache_is_bounded_and_drops_the_least_recently_used(
    api: Api, api_with: ApiWith
) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    first, second, third = viewer_query(), viewer_query(), viewer_query()
    assert len(first) == len(second) == len(third)
    async with api_with(persisted_queries_cache_chars=2 * len(first)) as small:
        await with_text(small, first, token)
        await with_text(small, second, token)
        # Using the first makes the second the least recently used, which the third evicts.
        assert "data" in (await by_hash(small, first, token)).json()
        await with_text(small, third, token)
        assert (await by_hash(small, second, token)).json() == NOT_FOUND
        assert "data" in (await by_hash(small, first, token)).json()
        assert "data" in (await by_hash(small, third, token)).json()
        # A document bigger than the whole cache runs, and is not kept.
        huge = f"query Huge_{uuid.uuid4().hex} {{ viewer {{ {' '.join(['kind'] * 20)} }} }}"
        assert len(huge) > 2 * len(first)
        assert "data" in (await with_text(small, huge, token)).json()
        assert (await by_hash(small, huge, token)).json() == NOT_FOUND
        assert "data" in (await by_hash(small, third, token)).json()


async def test_with_trusted_documents_only_the_manifest_runs_by_hash(
    api: Api, api_with: ApiWith, tmp_path: Path
) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    trusted, untrusted = viewer_query(), viewer_query()
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({sha256(trusted): trusted}))
    async with api_with(trusted_documents=manifest) as locked:
        expected = {"data": {"viewer": {"kind": "STAFF"}}}
        assert (await by_hash(locked, trusted, token)).json() == expected
        assert (await get_by_hash(locked, trusted, token)).json() == expected
        assert (await with_text(locked, trusted, token)).json() == expected

        assert (await by_hash(locked, untrusted, token)).json() == NOT_FOUND
        # Apollo's retry with the text is refused, and teaches the server nothing.
        retried = (await with_text(locked, untrusted, token)).json()
        assert retried["data"] is None
        assert retried["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert "Only trusted documents" in retried["errors"][0]["message"]
        assert (await by_hash(locked, untrusted, token)).json() == NOT_FOUND
        # A trusted document's hash cannot carry another text in with it.
        smuggled = {"query": untrusted, "extensions": persisted(trusted)}
        response = await locked.http.post(
            "/graphql", json=smuggled, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 400
