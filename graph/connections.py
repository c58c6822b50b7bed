"""Relay connections from keyset-paginated statements: one page, and its totalCount on demand.

A connection under a parent (a customer's objects, a case's comments) is read for every
parent the operation asks about at once (`connection_under`): a list of fifty customers
with their objects costs one statement for all the objects, not fifty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import ColumnElement, Select, Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from db.pagination import BadCursor, Page, SortKey, count_under, fetch_page, fetch_pages
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


def _connection(
    found: Page[Any], to_node: Callable[[Any], T], count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    """The connection of a fetched page; `count` runs only when `totalCount` is asked for."""
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
    scope = info.context.scope
    found = await fetch(scope, statement, keys, first=first, after=after)

    async def count() -> int:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        return int(await scope.read(lambda s: s.scalar(counted)) or 0)

    return _connection(found, to_node, count)


async def connection_under(
    info: strawberry.Info[Context, None],
    family: Hashable,
    parent: ColumnElement[Any] | QueryableAttribute[Any],
    parent_id: int,
    statement: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    to_node: Callable[[Any], T],
    *,
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """The connection of `statement`'s rows whose `parent` is `parent_id`.

    `statement` must not depend on the parent: it is read once for every parent asked for
    with the same `family` (the field and every argument that shapes `statement`), `first`
    and `after` (`db.pagination.fetch_pages`). `totalCount` is counted the same way.
    """
    if first is not None and first < 0:
        raise bad_input("`first` must not be negative.")
    scope = info.context.scope

    async def pages(parent_ids: Sequence[int]) -> list[Page[Any]]:
        async def read(session: AsyncSession) -> dict[int, Page[Any]]:
            return await fetch_pages(
                session, statement, keys, parent, parent_ids, first=first, after=after
            )

        try:
            found: dict[int, Page[Any]] = await scope.read(read)
        except BadCursor as error:
            raise bad_input(str(error)) from error
        return [found[i] for i in parent_ids]

    async def counts(parent_ids: Sequence[int]) -> list[int]:
        found = await scope.read(lambda s: count_under(s, statement, parent, parent_ids))
        return [found[i] for i in parent_ids]

    loaders = scope.loaders
    page: Page[Any] = await loaders.batched(("page", family, first, after), pages).load(parent_id)

    async def count() -> int:
        total: int = await loaders.batched(("count", family), counts).load(parent_id)
        return total

    return _connection(page, to_node, count)


async def oldest_first_under(
    info: strawberry.Info[Context, None],
    family: Hashable,
    model: Any,
    parent: QueryableAttribute[Any],
    parent_id: int,
    to_node: Callable[[Any], T],
    *,
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """`connection_under` for a model's rows in the order they were written (by id)."""
    return await connection_under(
        info,
        family,
        parent,
        parent_id,
        select(model, model.id),
        [SortKey(model.id)],
        to_node,
        first=first,
        after=after,
    )
