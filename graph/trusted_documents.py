"""Trusted documents and automatic persisted queries: documents named by their hash.

`WORKCLOUD_TRUSTED_DOCUMENTS` names a JSON manifest `{"<sha256 hex>": "<document>"}`
(what GraphQL Code Generator's client preset writes with `persistedDocuments:
{hashAlgorithm: 'sha256'}`). A client sends either the document's id (`documentId`, as
`sha256:<hex>` or bare hex, in the JSON body or the GET query string, or Apollo's
`extensions.persistedQuery.sha256Hash`) or the full text; either way, a document whose
hash is not in the manifest is refused before parsing, over HTTP and WebSocket alike.

Apollo's automatic persisted queries (APQ) work on top: over HTTP, a request with only
`extensions.persistedQuery` runs the document with that hash if the server knows it, and
is answered `PersistedQueryNotFound` if not, so that the client sends the full text with
the hash. With a manifest, the known documents are the manifest's; without one, they are
the ones clients sent with their (verified) hash, kept in a bounded in-memory cache of
each process.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from graph.limits import nul_refused, unstorable_operation

NOT_TRUSTED = "PERSISTED_QUERY_NOT_FOUND"
# The APQ protocol's answer to an unknown hash: Apollo's link matches the message exactly.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
APQ_VERSION = 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """The manifest, checked: every key must be the SHA-256 of its document."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: a trusted-documents manifest is a JSON object")
    manifest: dict[str, str] = {}
    for key, document in entries.items():
        if not isinstance(document, str) or document_hash(document) != key.removeprefix("sha256:"):
            raise ValueError(
                f"{path}: entry {key!r} is not the SHA-256 of its document (GraphQL Code "
                "Generator: set persistedDocuments.hashAlgorithm to 'sha256')"
            )
        manifest[document_hash(document)] = document
    return manifest


def not_trusted() -> GraphQLError:
    return GraphQLError(
        "Only trusted documents may run on this server.", extensions={"code": NOT_TRUSTED}
    )


def requested_document_id(body: Mapping[str, Any]) -> str | None:
    """The document id a request names, in any of the accepted spellings."""
    document_id = body.get("documentId")
    if isinstance(document_id, str):
        return document_id.removeprefix("sha256:")
    extensions = body.get("extensions")
    if isinstance(extensions, str):
        try:
            extensions = json.loads(extensions)
        except ValueError:
            return None
    if isinstance(extensions, dict):
        persisted = extensions.get("persistedQuery")
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            return str(persisted["sha256Hash"])
    return None


class PersistedQueryNotFound(Exception):
    """A request named a document by its APQ hash, and no known document has that hash."""


def persisted_query_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The hash in `extensions.persistedQuery` (Apollo's APQ), checked; None without one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise HTTPException(400, "Unsupported persisted query version: only version 1 is.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256.lower()):
        raise HTTPException(400, "persistedQuery.sha256Hash must be 64 hex digits.")
    return sha256.lower()


class PersistedQueries:
    """The documents an APQ hash may name over HTTP.

    With a trusted-documents manifest, those of the manifest, and nothing is added. Without
    one, every document a client sent with its hash, most recently used first, as long as
    they fit in `capacity` characters together; the least recently used go first.
    """

    def __init__(self, manifest: Mapping[str, str] | None, capacity: int) -> None:
        self._manifest = manifest
        self._capacity = capacity
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._size = 0

    def document(self, query: str | None, sha256: str) -> str:
        """The document to run for a request with this APQ hash (and maybe its text)."""
        if query is not None:
            if document_hash(query) != sha256:
                raise HTTPException(400, "persistedQuery.sha256Hash is not the query's SHA-256.")
            if self._manifest is None:
                self._remember(sha256, query)
            return query
        known = self._manifest.get(sha256) if self._manifest is not None else self._recall(sha256)
        if known is None:
            raise PersistedQueryNotFound()
        return known

    def _recall(self, sha256: str) -> str | None:
        document = self._cache.get(sha256)
        if document is not None:
            self._cache.move_to_end(sha256)
        return document

    def _remember(self, sha256: str, document: str) -> None:
        if sha256 in self._cache:
            self._cache.move_to_end(sha256)
            return
        if len(document) > self._capacity:
            return
        self._cache[sha256] = document
        self._size += len(document)
        while self._size > self._capacity:
            _, dropped = self._cache.popitem(last=False)
            self._size -= len(dropped)


def trusted_documents_extension(manifest: Mapping[str, str]) -> Callable[[], SchemaExtension]:
    class TrustedDocuments(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            query = self.execution_context.query
            if query is not None and document_hash(query) not in manifest:
                raise not_trusted()
            yield

    return TrustedDocuments


class TrustedSocketHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws: an untrusted document (or unstorable text) gets `error`."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload: dict[str, Any] = dict(message["payload"])
        reason = unstorable_operation(payload.get("query"), payload)
        if self.connection_acknowledged and reason is not None:
            error = {
                "id": message["id"],
                "type": "error",
                "payload": [nul_refused(reason).formatted],
            }
            await self.send_message(error)  # type: ignore[arg-type]
            return
        manifest: Mapping[str, str] | None = getattr(self.view, "trusted_documents", None)
        if manifest is not None and self.connection_acknowledged:
            query = payload.get("query")
            if not isinstance(query, str):
                document_id = requested_document_id(payload)
                query = manifest.get(document_id) if document_id is not None else None
            if query is None or document_hash(query) not in manifest:
                error = {"id": message["id"], "type": "error", "payload": [not_trusted().formatted]}
                await self.send_message(error)  # type: ignore[arg-type]
                return
            payload["query"] = query
            message = {**message, "payload": payload}  # type: ignore[typeddict-item]
        await super().handle_subscribe(message)
