"""The table view's fast path: `cases` in one page statement plus one per list relation.

Normal execution loads a page of cases and then, through DataLoaders, one statement per
related table (customer, contact, object, type, status, priority, users, groups, ...).
Here the page statement outer-joins every single-valued relation the selection asks for,
the joined rows are primed into the same DataLoaders, and assigned users and groups come
through their own loaders in one statement each. The page is then rendered by the very
resolvers normal execution uses, which find everything already loaded.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle, aliased

from db import models
from graph.context import Context
from graph.fastpath.render import MemoKey, ResolverInfo
from graph.fastpath.selection import Field, find
from graph.resolvers.case_table import table_query
from graph.resolvers.listing import connection_of, fetch
from graph.types.base import Connection
from graph.types.case import Case


@dataclass(frozen=True)
class _Join:
    """A related row the page statement outer-joins, through one of the case's foreign keys.

    The row comes back as a bundle of its mapped columns, read by attribute like the model
    (which is all `from_row` does), not as an ORM instance: a page joins hundreds of related
    rows, and building ORM instances for them was the largest single cost left.
    """

    model: type[models.Base]
    foreign_key: str
    # Made once: building an alias per request costs more than the rest of the statement.
    alias: Any
    columns: Bundle[Any]


def _join(model: type[models.Base], foreign_key: str) -> _Join:
    alias = aliased(model, name=f"fast_{foreign_key}")
    keys = [attribute.key for attribute in inspect(model).column_attrs]
    columns: Bundle[Any] = Bundle(foreign_key, *(getattr(alias, key) for key in keys))
    return _Join(model, foreign_key, alias, columns)


_CASE_COLUMNS: Bundle[Any] = Bundle(
    "case", *(getattr(models.Case, a.key) for a in inspect(models.Case).column_attrs)
)
_TYPE = _join(models.CaseType, "type_id")
# Case fields whose row the page statement joins.
JOINED: dict[str, _Join] = {
    "customer": _join(models.Customer, "customer_id"),
    "contact": _join(models.Contact, "contact_id"),
    "object": _join(models.CaseObject, "object_id"),
    "project": _join(models.Project, "project_id"),
    "type": _TYPE,
    "customFields": _TYPE,
    "status": _join(models.CaseStatus, "status_id"),
    "priority": _join(models.CasePriority, "priority_id"),
    "responsible": _join(models.User, "responsible_id"),
    "createdBy": _join(models.User, "created_by_id"),
}


def _memo_key(foreign_key: str) -> MemoKey:
    def key(case: Case) -> Hashable:
        value: Hashable = getattr(case.row, foreign_key)
        return value

    return key


# Case fields that are lists, loaded by their DataLoader for the whole page at once.
LISTED = {
    "assignedUsers": "assigned_users_by_case_id",
    "assignedGroups": "assigned_groups_by_case_id",
}
# Case relations rendered once per distinct foreign key in a page (not customFields: its
# values are the case's own).
MEMO = {
    ("Case", name): _memo_key(join.foreign_key)
    for name, join in JOINED.items()
    if name != "customFields"
}
# Resolvers that read nothing but `info.context` and the DataLoaders primed here.
RESOLVED = frozenset(
    {("Case", name) for name in [*JOINED, *LISTED]} | {("CaseConnection", "totalCount")}
)


def _case_fields(connection_fields: tuple[Field, ...]) -> set[str]:
    return {f.name for node in find(connection_fields, "edges", "node") for f in node.children}


async def _keep_join_order(session: AsyncSession) -> None:
    """Plans the page statement in the order it is written: the page of cases, then each row's
    relations. PostgreSQL would otherwise search every order of up to ten joins, which took
    ~15 ms of planning per request against ~4 ms of executing (measured on the bench data)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.set_config("join_collapse_limit", "1", True)))


async def cases_page(
    context: Context, arguments: dict[str, Any], connection_fields: tuple[Field, ...]
) -> Connection[Case]:
    """What `Query.cases` returns for these arguments, with the selection's relations loaded."""
    info = cast(strawberry.Info[Context, None], ResolverInfo(context))
    viewer = context.staff()
    statement, keys = table_query(
        viewer,
        arguments["scope"],
        arguments.get("filter"),
        arguments.get("search"),
        arguments.get("order_by"),
    )
    wanted = _case_fields(connection_fields)
    joins = list(dict.fromkeys(JOINED[name] for name in wanted if name in JOINED))
    # The same statement, with the case's columns as a bundle rather than an ORM instance.
    joined: Select[Any] = statement.with_only_columns(
        _CASE_COLUMNS, *(key.expression for key in keys), maintain_column_froms=True
    )
    for join in joins:
        joined = joined.add_columns(join.columns).outerjoin(
            join.alias, join.alias.id == getattr(models.Case, join.foreign_key)
        )
    if len(joins) > 2:
        await context.scope.read(_keep_join_order)
    found = await fetch(
        info, joined, keys, first=arguments.get("first"), after=arguments.get("after")
    )
    loaders = context.scope.loaders
    for row, extras in zip(found.items, found.extras, strict=True):
        for join, related in zip(joins, extras, strict=True):
            key = getattr(row, join.foreign_key)
            if key is not None:
                # An outer join that found nothing (another tenant's row) gives all nulls.
                loaders.by_id(join.model).prime(key, related if related.id is not None else None)
    case_ids = [row.id for row in found.items]
    for name, loader in LISTED.items():
        if name in wanted and case_ids:
            await getattr(loaders, loader).load_many(case_ids)
    return connection_of(info, statement, found, Case.from_row)
