"""Keyset pagination: a page after a cursor, by any list of sort keys ending in a unique one."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Subquery, and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class SortKey:
    expression: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False
    # False for a column that is never NULL: its order needs no NULLS LAST, which an index
    # scanned backwards (newest first) cannot give, so PostgreSQL would sort every match.
    nullable: bool = True


@dataclass
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    # Columns the statement selects after its sort keys, per item (see `fetch_page`).
    extras: list[tuple[Any, ...]]


def _to_json(value: Any) -> Any:
    return {"$dt": value.isoformat()} if isinstance(value, datetime) else value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_to_json(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadCursor("Not a valid cursor.") from error
    if not isinstance(values, list) or len(values) != width:
        raise BadCursor("Not a valid cursor.")
    try:
        return [_from_json(v) for v in values]
    except (TypeError, ValueError) as error:
        raise BadCursor("Not a valid cursor.") from error


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    return max(0, min(first, MAX_PAGE_SIZE))


def after_condition(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order given by `keys`."""
    clauses: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        equal = [k.expression == v for k, v in zip(keys[:i], values[:i], strict=True)]
        value = values[i]
        if value is None:
            # NULLs sort last here; nothing non-null comes after a NULL.
            continue
        beyond = key.expression < value if key.descending else key.expression > value
        clauses.append(and_(*equal, or_(beyond, key.expression.is_(None))))
    return or_(*clauses) if clauses else false()


def ordered(keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    orders = [k.expression.desc() if k.descending else k.expression.asc() for k in keys]
    return [o.nulls_last() if k.nullable else o for k, o in zip(keys, orders, strict=True)]


async def fetch_page(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    *,
    first: int | None,
    after: str | None,
    then_join: Callable[[Subquery], Select[Any]] | None = None,
) -> Page[Any]:
    """Rows of `statement` (its first column is the item), ordered by `keys`, after a cursor.

    The statement selects the item followed by one column per sort key, in order; any
    columns after those come back, per item, in `Page.extras`.

    With `then_join`, the page is chosen by `statement` alone (cursor, order and limit
    inside a subquery) and `then_join(page)` adds what else each of its rows needs, so
    only the page's rows are joined, not every match. It selects the subquery's item and
    sort key columns first, as `statement` does, then its extras; it is put in order here.
    """
    size = page_size(first)
    if after is not None:
        statement = statement.where(after_condition(keys, decode_cursor(after, len(keys))))
    statement = statement.order_by(*ordered(keys)).limit(size + 1)
    if then_join is not None:
        page = statement.subquery("page")
        columns = list(page.c)
        on_page = [
            SortKey(column, key.descending, key.nullable)
            for key, column in zip(keys, columns[1 : 1 + len(keys)], strict=True)
        ]
        statement = then_join(page).order_by(*ordered(on_page))
    rows = (await session.execute(statement)).all()
    has_next = len(rows) > size
    rows = rows[:size]
    width = 1 + len(keys)
    return Page(
        items=[row[0] for row in rows],
        cursors=[encode_cursor(row[1:width]) for row in rows],
        has_next=has_next,
        has_previous=after is not None,
        extras=[tuple(row[width:]) for row in rows],
    )
