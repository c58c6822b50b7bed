"""The per-operation scope: one read session (used by one coroutine at a time) and its loaders.

Strawberry builds one context per HTTP request but only one per WebSocket connection,
shared by every operation on it. So the session and DataLoaders live here instead, in a
scope an extension opens for each operation (graph/context.py), that a replaying
subscription renews between batches, and that the live side opens to render an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database, single_statement
from domain.errors import NotSignedIn
from graph.loaders import Loaders


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
        """Fresh session and loaders: a replaying subscription calls this between batches."""
        await self.close()
        self._loaders = None

    async def release(self) -> None:
        """Gives the connection back while a subscription waits (casePresence)."""
        await self.close()

    async def close(self) -> None:
        async with self._lock:
            session, self._session = self._session, None
        if session is not None:
            await session.close()


_current: ContextVar[OperationScope | None] = ContextVar("operation_scope", default=None)


def current_scope() -> OperationScope:
    scope = _current.get()
    if scope is None:
        raise RuntimeError("no operation scope: is OperationScopeExtension installed?")
    return scope


def enter_scope(scope: OperationScope) -> OperationScope | None:
    """Makes `scope` the current one; returns the one it replaces (for `leave_scope`)."""
    previous = _current.get()
    _current.set(scope)
    return previous


def leave_scope(previous: OperationScope | None) -> None:
    # set, not reset: a subscription's generator may be finalised in another context.
    _current.set(previous)


@contextmanager
def use_scope(scope: OperationScope) -> Iterator[None]:
    """Runs resolvers outside an operation (a live event's rendering) in `scope`."""
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)
