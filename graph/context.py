"""Per-request context: what is safe to share between the operations of a WebSocket.

Strawberry builds one context per HTTP request but only one per WebSocket connection,
shared by every operation on it. So the context holds only the services and the viewer;
the session and DataLoaders live in an OperationScope (graph/scope.py) that an extension
opens for each operation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from bus.case_presence import CasePresenceBoard
from bus.event_bus import EventBus
from config.settings import Settings
from db.engine import Database
from domain.errors import NotAllowed, NotSignedIn
from domain.viewer import Viewer
from graph.attachment_links import AttachmentLinks
from graph.live.case_feed import CaseFeeds
from graph.live.event_reads import EventReads
from graph.live.hub import LiveHub
from graph.scope import OperationScope, current_scope, enter_scope, leave_scope
from graph.throttle import SignInThrottle
from storage.store import FileStore


@dataclass
class Services:
    """What every request may use; created once by the app's lifespan."""

    settings: Settings
    db: Database
    bus: EventBus
    throttle: SignInThrottle
    event_reads: EventReads
    live: LiveHub
    case_feeds: CaseFeeds
    presence: CasePresenceBoard
    storage: FileStore
    attachment_links: AttachmentLinks


@dataclass
class Context:
    services: Services
    request: Request | WebSocket
    response: Any = None
    viewer: Viewer | None = None
    connection_params: dict[str, Any] | None = None
    bearer_token: str | None = None

    @property
    def client_address(self) -> str | None:
        client = self.request.client
        return client.host if client is not None else None

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def signed_in(self) -> Viewer:
        if self.viewer is None:
            raise NotSignedIn()
        return self.viewer

    def staff(self) -> Viewer:
        viewer = self.signed_in()
        if not viewer.is_staff:
            raise NotAllowed("Only staff may do this.")
        return viewer

    @property
    def scope(self) -> OperationScope:
        return current_scope()


class OperationScopeExtension(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        viewer = context.viewer
        scope = OperationScope(context.db, viewer.tenant_id if viewer else None)
        previous = enter_scope(scope)
        try:
            yield
        finally:
            leave_scope(previous)
            await scope.close()
