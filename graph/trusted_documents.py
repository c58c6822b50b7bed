"""Trusted documents: in production, only the GraphQL documents our clients ship may run.

`WORKCLOUD_TRUSTED_DOCUMENTS` names a JSON manifest `{"<sha256 hex>": "<document>"}`
(what GraphQL Code Generator's persisted-documents preset writes). A client sends either
the document's id (`documentId`, as `sha256:<hex>` or bare hex, in the JSON body or the
GET query string, or Apollo's `extensions.persistedQuery.sha256Hash`) or the full text;
either way, a document whose hash is not in the manifest is refused before parsing, over
HTTP and WebSocket alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from graph.limits import nul_refused, unstorable_operation

NOT_TRUSTED = "PERSISTED_QUERY_NOT_FOUND"


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
            raise ValueError(f"{path}: entry {key!r} is not the SHA-256 of its document")
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
