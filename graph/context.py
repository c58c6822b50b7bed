"""Per-request context, and the per-operation scope that owns a read session and loaders.

Strawberry builds one context per HTTP request but only one per WebSocket connection,
shared by every operation on it. So the context holds only what is safe to share
(services, the viewer); the session and DataLoaders live in an OperationScope that
an extension opens for each operation, and that subscriptions renew for each event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from config.settings import Settings
from db.engine import Database, single_statement
from domain.errors import NotAllowed, NotSignedIn
from domain.viewer import Viewer
from graph.attachment_links import AttachmentLinks
from graph.throttle import SignInThrottle
from storage.store import FileStore

if TYPE_CHECKING:
    from bus.case_presence import CasePresenceBoard
    from bus.event_bus import EventBus
    from graph.loaders import Loaders
    from graph.subscriptions.case_feed import CaseFeeds
    from graph.subscriptions.event_reads import EventReads
    from graph.subscriptions.hub import LiveHub

T = TypeVar("T")


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
        scope = _current_scope.get()
        if scope is None:
            raise RuntimeError("no operation scope: is OperationScopeExtension installed?")
        return scope


class OperationScope:
    """One operation's read session (used by one coroutine at a time) and its loaders."""

    def __init__(self, db: Database, tenant_id: int | None, *, transaction: bool = True) -> None:
        self._db = db
        self._tenant_id = tenant_id
        # Without one, each statement reads its own snapshot and no BEGIN/ROLLBACK is sent
        # (PostgreSQL): for reads that need no consistency between them, like a live
        # event's rendering of rows already committed.
        self._transaction = transaction
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._loaders: Loaders | None = None

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from graph.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    async def read(self, work: Callable[[AsyncSession], Any]) -> Any:
        """Runs `work(session)`; concurrent resolvers take turns on the one session."""
        if self._tenant_id is None:
            raise NotSignedIn()
        async with self._lock:
            if self._session is None:
                self._session = self._db.session(self._tenant_id)
                if not self._transaction:
                    await single_statement(self._session)
            return await work(self._session)

    def switch_tenant(self, tenant_id: int) -> None:
        """For sign-in: the payload of `login` is read in the tenant just signed in to."""
        if self._session is not None:
            raise RuntimeError("the scope's session is already open")
        self._tenant_id = tenant_id

    async def renew(self) -> None:
        """Fresh session and loaders: a subscription calls this before each event."""
        await self.close()
        self._loaders = None

    async def release(self) -> None:
        """Gives the connection back while a subscription waits for its next event."""
        await self.close()

    async def close(self) -> None:
        async with self._lock:
            session, self._session = self._session, None
        if session is not None:
            await session.close()


_current_scope: ContextVar[OperationScope | None] = ContextVar("operation_scope", default=None)


@contextmanager
def use_scope(scope: OperationScope) -> Iterator[None]:
    """Runs resolvers outside an operation (a live event's rendering) in `scope`."""
    token = _current_scope.set(scope)
    try:
        yield
    finally:
        _current_scope.reset(token)


class OperationScopeExtension(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        viewer = context.viewer
        scope = OperationScope(context.db, viewer.tenant_id if viewer else None)
        previous = _current_scope.get()
        _current_scope.set(scope)
        try:
            yield
        finally:
            # set, not reset: a subscription's generator may be finalised in another context.
            _current_scope.set(previous)
            await scope.close()
