"""With a trusted-documents manifest, only the documents our clients ship may run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from graph.trusted_documents import load_manifest
from tests.support.client import Api

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

VIEWER = "query Viewer { viewer { kind } }"
LOGIN = "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "trusted-documents.json"
    path.write_text(json.dumps({sha256(d): d for d in [VIEWER, LOGIN]}))
    return path


async def test_only_listed_documents_run(api: Api, api_with: ApiWith, manifest: Path) -> None:
    tenant = await api.new_tenant()  # set up through the open server, on the same database
    async with api_with(trusted_documents=manifest) as api:
        auth = {"Authorization": f"Bearer {tenant.admin_token}"}
        by_id = await api.http.post(
            "/graphql", json={"documentId": f"sha256:{sha256(VIEWER)}"}, headers=auth
        )
        assert by_id.json() == {"data": {"viewer": {"kind": "STAFF"}}}
        apq = await api.http.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(VIEWER)}}},
            headers=auth,
        )
        assert apq.json() == by_id.json()
        by_get = await api.http.get(
            "/graphql",
            params={"documentId": sha256(VIEWER)},
            headers={**auth, "Accept": "application/json"},
        )
        assert by_get.json() == by_id.json()
        # The full text of a listed document is fine too.
        assert await api.data(VIEWER, token=tenant.admin_token) == {"viewer": {"kind": "STAFF"}}

        unlisted = await api.post("{ viewer { kind user { email } } }", token=tenant.admin_token)
        assert unlisted["data"] is None
        assert unlisted["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        unknown = await api.http.post(
            "/graphql", json={"documentId": "sha256:" + "0" * 64}, headers=auth
        )
        assert unknown.status_code == 400
        assert "only trusted documents" in unknown.json()["errors"][0]["message"]

        async with api.ws(tenant.admin_token) as socket:
            assert (await socket.execute(VIEWER))["data"] == {"viewer": {"kind": "STAFF"}}
            operation = await socket.subscribe("{ __typename }")
            message = await socket.receive()
            assert message["id"] == operation
            assert message["type"] == "error"
            assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            # A listed document may be named by its id over the socket too.
            await socket.send(
                {"id": "by-id", "type": "subscribe", "payload": {"documentId": sha256(VIEWER)}}
            )
            message = await socket.receive()
            assert message == {
                "id": "by-id",
                "type": "next",
                "payload": {"data": {"viewer": {"kind": "STAFF"}}},
            }


def test_a_manifest_whose_hashes_do_not_match_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({sha256(VIEWER): LOGIN}))
    with pytest.raises(ValueError, match="not the SHA-256"):
        load_manifest(path)
