"""Relay connections from keyset-paginated statements: one page, and its totalCount on demand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.pagination import BadCursor, Page, SortKey, fetch_page
from graph.context import Context
from graph.errors import bad_input
from graph.scope import OperationScope
from graph.types.base import Connection

T = TypeVar("T")


async def fetch(
    scope: OperationScope,
    statement: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    *,
    first: int | None,
    after: str | None,
    then_join: Callable[[Subquery], Select[Any]] | None = None,
) -> Page[Any]:
    """One page of `statement` (see `fetch_page`), with bad paging arguments as GraphQL errors."""
    if first is not None and first < 0:
        raise bad_input("`first` must not be negative.")

    async def page(session: AsyncSession) -> Any:
        return await fetch_page(
            session, statement, keys, first=first, after=after, then_join=then_join
        )

    try:
        found: Page[Any] = await scope.read(page)
    except BadCursor as error:
        raise bad_input(str(error)) from error
    return found


def connection_of(
    info: strawberry.Info[Context, None],
    statement: Select[*tuple[Any, ...]],
    found: Page[Any],
    to_node: Callable[[Any], T],
) -> Connection[T]:
    """The connection of a fetched page; `totalCount` counts `statement` only when asked."""
    scope = info.context.scope

    async def count() -> int:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        return int(await scope.read(lambda s: s.scalar(counted)) or 0)

    return Connection.of(
        [to_node(item) for item in found.items],
        found.cursors,
        has_next=found.has_next,
        has_previous=found.has_previous,
        count=count,
    )


async def connection(
    info: strawberry.Info[Context, None],
    statement: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    to_node: Callable[[Any], T],
    *,
    first: int | None,
    after: str | None,
) -> Connection[T]:
    found = await fetch(info.context.scope, statement, keys, first=first, after=after)
    return connection_of(info, statement, found, to_node)
