"""Keyset pagination: a page after a cursor, by any list of sort keys ending in a unique one."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    false,
    func,
    or_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from db.models.base import UTCDateTime

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class BadCursor(ValueError):
    pass


# The largest integer each column kind holds on PostgreSQL; SQLite holds 64 bits.
_INT_RANGE = {True: 2**63, False: 2**31}


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


def _same(pk: int) -> int:
    return pk


# Every order ends with the primary key, and primary keys are shared by all tenants: a
# cursor carrying one in the clear would let a tenant count what the others create. The
# app installs the keyed permutation that hides it (`hide_primary_keys`, graph/ids.py).
_hidden: Callable[[int], int] = _same
_shown: Callable[[int], int] = _same


def hide_primary_keys(hide: Callable[[int], int], show: Callable[[int], int]) -> None:
    """How the primary key at the end of every cursor is hidden, and read back."""
    global _hidden, _shown
    _hidden, _shown = hide, show


def _json_of(value: Any) -> str:
    """`json.dumps(_to_json(value), separators=(",", ":"))`, spelled out for the kinds sort
    keys have: a page renders a cursor per item, and this is most of what one costs."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is datetime:
        return '{"$dt":"' + str(value.isoformat()) + '"}'
    if value is None:
        return "null"
    return json.dumps(_to_json(value), separators=(",", ":"))


def encode_cursor(values: Sequence[Any]) -> str:
    parts = [_json_of(v) for v in values]
    if parts and type(values[-1]) is int and values[-1] >= 0:
        parts[-1] = str(_hidden(values[-1]))
    raw = "[" + ",".join(parts) + "]"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _storable_text(value: str) -> bool:
    """No NUL, and valid UTF-8 once encoded (a lone surrogate is not)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _may_be_null(key: SortKey) -> bool:
    """False for a plain column declared NOT NULL (an id); an expression may be NULL."""
    column = getattr(key.expression, "expression", key.expression)
    return not isinstance(column, Column) or bool(column.nullable)


def _typed(key: SortKey, value: Any) -> Any:
    """The value a key's column can be compared with, or BadCursor.

    A cursor's values are bound as SQL parameters: anything but the column's own kind
    (an id that is a string, a time that is a number, NaN, 2**70) would fail in the
    database, so it is refused here, before any SQL is sent.
    """
    if value is None:
        if key.nullable and _may_be_null(key):
            return None
        raise BadCursor("Invalid cursor.")
    column_type = key.expression.type
    if isinstance(column_type, DateTime | UTCDateTime):
        if not (isinstance(value, dict) and list(value) == ["$dt"]):
            raise BadCursor("Invalid cursor.")
        moment = value["$dt"]
        try:
            parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else None
            if parsed is None or parsed.tzinfo is None:
                raise BadCursor("Invalid cursor.")
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError) as error:
            raise BadCursor("Invalid cursor.") from error
    if isinstance(column_type, Boolean):
        if isinstance(value, bool):
            return value
    elif isinstance(column_type, Integer):
        limit = _INT_RANGE[isinstance(column_type, BigInteger)]
        if type(value) is int and -limit <= value < limit:
            return value
    elif isinstance(column_type, Float):
        if type(value) in (int, float) and math.isfinite(value):
            return value
    elif isinstance(column_type, String):
        if isinstance(value, str) and _storable_text(value):
            return value
    else:
        raise TypeError(f"no cursor values for a sort key of type {column_type!r}")
    raise BadCursor("Invalid cursor.")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The sort key values of a cursor we issued for these keys; anything else is BadCursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise BadCursor("Invalid cursor.") from error
    if not isinstance(values, list) or len(values) != len(keys) or not values:
        raise BadCursor("Invalid cursor.")
    if type(values[-1]) is int:
        if not 0 <= values[-1] < 2**64:
            raise BadCursor("Invalid cursor.")
        values[-1] = _shown(values[-1])
    typed = [_typed(key, value) for key, value in zip(keys, values, strict=True)]
    # Only the exact text we hand out: no padding, no stray characters, no other spelling.
    if encode_cursor(typed) != cursor:
        raise BadCursor("Invalid cursor.")
    return typed


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
        statement = statement.where(after_condition(keys, decode_cursor(after, keys)))
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


async def fetch_pages(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    parent: ColumnElement[Any] | QueryableAttribute[Any],
    parent_ids: Sequence[int],
    *,
    first: int | None,
    after: str | None,
) -> dict[int, Page[Any]]:
    """`fetch_page` for many parents at once, in one statement: the page of `statement`'s
    rows whose `parent` is each of `parent_ids`, under the same `first` and `after`.

    Each parent's rows are numbered in the page's order (a window function, which SQLite
    and PostgreSQL both have), and only the first `first + 1` of each are read. The last
    sort key is unique, so it names a row of `statement` in the join back to it.
    """
    size = page_size(first)
    values = decode_cursor(after, keys) if after is not None else None
    pages = pages_statement(statement, keys, parent, parent.in_(parent_ids), size + 1, values)
    rows = (await session.execute(pages)).all()
    return group_pages(rows, parent_ids, size, len(keys), has_previous=after is not None)


def pages_statement(
    statement: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    parent: ColumnElement[Any] | QueryableAttribute[Any],
    parents: ColumnElement[bool],
    limit: Any,
    after: Sequence[Any] | None,
) -> Select[Any]:
    """The statement of `fetch_pages` for the parents `parents` selects: it, `limit` (rows
    per parent) and the cursor's values `after` may be bound parameters, so that it is built
    once per shape."""
    if after is not None:
        statement = statement.where(after_condition(keys, after))
    statement = statement.where(parents)
    unique = keys[-1].expression
    ranked = statement.with_only_columns(
        unique.label("item_key"),
        parent.label("parent_id"),
        func.row_number().over(partition_by=parent, order_by=ordered(keys)).label("n"),
        maintain_column_froms=True,
    ).subquery("ranked")
    return (
        statement.join(ranked, ranked.c.item_key == unique)
        .where(ranked.c.n <= limit)
        .add_columns(ranked.c.parent_id)
        .order_by(ranked.c.parent_id, ranked.c.n)
    )


def group_pages(
    rows: Sequence[Any], parent_ids: Sequence[int], size: int, width: int, *, has_previous: bool
) -> dict[int, Page[Any]]:
    """Each parent's page from the rows of `pages_statement` (`width`: how many sort keys)."""
    grouped: dict[int, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    for row in rows:
        grouped[row[-1]].append(row[:-1])
    width += 1
    pages: dict[int, Page[Any]] = {}
    for parent_id, found in grouped.items():
        page = found[:size]
        pages[parent_id] = Page(
            items=[row[0] for row in page],
            cursors=[encode_cursor(row[1:width]) for row in page],
            has_next=len(found) > size,
            has_previous=has_previous,
            extras=[tuple(row[width:]) for row in page],
        )
    return pages


async def count_under(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    parent: ColumnElement[Any] | QueryableAttribute[Any],
    parent_ids: Sequence[int],
) -> dict[int, int]:
    """How many rows of `statement` each of `parent_ids` has, in one statement."""
    counted = (
        statement.where(parent.in_(parent_ids))
        .with_only_columns(parent, func.count(), maintain_column_froms=True)
        .group_by(parent)
        .order_by(None)
    )
    found = {int(parent_id): int(n) for parent_id, n in (await session.execute(counted)).all()}
    return {parent_id: found.get(parent_id, 0) for parent_id in parent_ids}
