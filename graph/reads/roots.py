"""The root fields a read plan answers, each with the rule that chooses its rows.

A root connection (`cases`, `customers`, the viewer's `notifications`) takes its statement
and sort keys from the same function its resolver uses, so filters, search, scope and
order cannot drift apart; a root row (`case`, the viewer's `user`) is read by its key.
Who may read is checked as the resolver checks it (`Context.staff`), before anything is
read; a viewer the resolver would refuse gets the resolver's own error, from normal
execution.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import strawberry
from graphql import GraphQLNonNull
from sqlalchemy import ColumnElement, Select

from db.pagination import SortKey
from domain.cases.portal import visible_cases
from domain.notifications import unread_count
from graph.context import Context
from graph.ids import parse_global_id, pk_of
from graph.library_internals import resolver_arguments
from graph.reads.plan import Columns, Plan, Source, State, compile_completion
from graph.reads.rows import ROW_TYPES
from graph.reads.selection import Field, Kind, Unsupported
from graph.reads.sources import read_all, read_nested, read_page, read_row, read_row_where
from graph.resolvers.case_table import saved_view, table_query
from graph.resolvers.customers import customers_query, objects_query, projects_query
from graph.resolvers.node import PRIVATE_TO_RECIPIENT, STAFF_NODES, STAFF_RESOLVERS
from graph.resolvers.people import users_query
from graph.resolvers.portal import portal_cases_query
from graph.types.notification import lobby_query


@dataclass(frozen=True)
class Request:
    context: Context
    schema: strawberry.Schema
    variables: Any  # graphql-core's coerced variable values


Query = Callable[[Request, Field, dict[str, Any]], Awaitable[tuple[Select[Any], list[SortKey]]]]
Find = Callable[[Request, dict[str, Any]], int | None]


class Root(ABC):
    """A field whose value a plan reads and renders."""

    @abstractmethod
    async def answer(self, request: Request) -> Any:
        """The field's value for this request, or `Unsupported`: normal execution answers."""


class ConnectionRoot(Root):
    def __init__(self, field: Field, type_name: str, query: Query, *, portal: bool = False) -> None:
        self.field = field
        self.query = query
        self.plan = Plan(portal=portal)
        self.source = Source(field, Columns(type_name))
        self.render = self.plan.connection(field, self.source)

    async def answer(self, request: Request) -> Any:
        arguments = self.field.arguments(request.variables)
        statement, keys = await self.query(request, self.field, arguments)
        found, count = await read_page(request.context, self.source, statement, keys, arguments)
        state: State = {}
        await read_nested(
            request.context, self.plan, state, {self.source: found.extras}, request.variables
        )
        return self.render(found, count, state)


class RowRoot(Root):
    """A root's one row by its key; with `reach`, only when it also meets the condition
    `reach(request)` gives (who may see it)."""

    def __init__(
        self,
        field: Field,
        type_name: str,
        find: Find | None,
        *,
        portal: bool = False,
        reach: Callable[[Request], ColumnElement[bool]] | None = None,
    ) -> None:
        self.field = field
        self.find = find
        self.reach = reach
        self.plan = Plan(portal=portal)
        self.source = Source(field, Columns(type_name))
        self.source.columns.at((), "id")  # a row is read even when only its type is asked
        self.render = self.plan.row(type_name, field.children, self.source.columns, (), self.source)

    async def answer(self, request: Request) -> Any:
        # Who may see is asked first, as the resolver does: a viewer it refuses is refused
        # whatever the id.
        reach = self.reach(request) if self.reach is not None else None
        if self.find is None:
            raise Unsupported(f"{self.field.parent_name}.{self.field.name} has no key")
        pk = self.find(request, self.field.arguments(request.variables))
        rows = []
        if pk is not None and reach is not None:
            rows = await read_row_where(request.context, self.source, pk, reach)
        elif pk is not None:
            rows = await read_row(request.context, self.source, pk)
        if not rows:
            if isinstance(self.field.type, GraphQLNonNull):
                raise Unsupported(f"null for non-null {self.field.parent_name}.{self.field.name}")
            return None
        return await self.render_rows(request, rows)

    async def render_rows(self, request: Request, rows: list[Any]) -> Any:
        state: State = {}
        await read_nested(request.context, self.plan, state, {self.source: rows}, request.variables)
        return self.render(rows[0], state)


# What `node` answers a staff viewer from the tenant's rows alone (graph/resolvers/node.py);
# types with rules of their own there are normal execution's.
NODE_TYPES = sorted(set(STAFF_NODES) - set(STAFF_RESOLVERS))


class NodeRoot(Root):
    """`node(id)` for a staff viewer, as its resolver answers: the row of the id's type,
    null when it is not the tenant's (or, for a notification, not the viewer's own)."""

    def __init__(self, field: Field, selections: dict[str, tuple[Field, ...]]) -> None:
        self.field = field
        self.roots: dict[str, tuple[RowRoot, int | None]] = {}
        for type_name, children in selections.items():
            if type_name not in ROW_TYPES:
                continue
            try:
                row_root = RowRoot(replace(field, children=children), type_name, None)
            except Unsupported:
                continue
            owner = None
            if type_name in PRIVATE_TO_RECIPIENT:
                owner = row_root.source.columns.at((), "recipient_id")
            self.roots[type_name] = (row_root, owner)

    async def answer(self, request: Request) -> Any:
        viewer = request.context.signed_in()
        if not viewer.is_staff:
            raise Unsupported("node for a portal viewer")
        parsed = parse_global_id(self.field.arguments(request.variables)["id"])
        if parsed is None:
            return None
        type_name, pk = parsed
        if type_name not in STAFF_NODES or type_name in STAFF_RESOLVERS:
            if type_name in STAFF_RESOLVERS:
                raise Unsupported(f"node of a {type_name}")
            return None
        planned = self.roots.get(type_name)
        if planned is None:
            raise Unsupported(f"node of a {type_name}")
        row_root, owner = planned
        rows = await read_row(request.context, row_root.source, pk)
        if not rows or (owner is not None and rows[0][owner] != viewer.user_id):
            return None
        return await row_root.render_rows(request, rows)


class ListRoot(Root):
    """Every row of a type the tenant has, in `order` (`groups`)."""

    def __init__(self, field: Field, type_name: str, order: tuple[str, ...]) -> None:
        self.field = field
        self.order = order
        self.plan = Plan()
        self.source = Source(field, Columns(type_name))
        self.source.columns.at((), "id")  # a row is read even when only its type is asked
        render = self.plan.row(type_name, field.children, self.source.columns, (), self.source)
        self.render = render

    async def answer(self, request: Request) -> Any:
        request.context.staff()
        rows = await read_all(request.context, self.source, self.order)
        state: State = {}
        await read_nested(request.context, self.plan, state, {self.source: rows}, request.variables)
        return [self.render(row, state) for row in rows]


class ViewerRoot(Root):
    """`viewer`, for a staff viewer: who it is, the unread count and the lobby."""

    def __init__(self, field: Field) -> None:
        self.parts = [(child.key, self._part(child)) for child in field.children]

    def _part(self, field: Field) -> Callable[[Request], Awaitable[Any]]:
        if field.kind is Kind.TYPENAME:
            return _constant(field.parent_name)
        if field.name == "kind":
            complete = compile_completion(field.type, field)

            async def kind(request: Request) -> Any:
                return complete(request.context.staff().kind, {})

            return kind
        if field.name == "contact":
            return _constant(None)  # a staff viewer is no contact
        if field.name == "unreadNotificationCount":

            async def unread(request: Request) -> int:
                user_id = request.context.staff().staff_user_id
                count: int = await request.context.scope.read(lambda s: unread_count(s, user_id))
                return count

            return unread
        if field.name == "notifications":
            return ConnectionRoot(field, "Notification", _notifications).answer
        if field.name == "user":
            return RowRoot(field, "User", _viewer_user).answer
        raise Unsupported(f"{field.parent_name}.{field.name}")

    async def answer(self, request: Request) -> Any:
        request.context.staff()
        return {key: await part(request) for key, part in self.parts}


def _constant(value: Any) -> Callable[[Request], Awaitable[Any]]:
    async def constant(_request: Request) -> Any:
        return value

    return constant


async def _cases(
    request: Request, field: Field, arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    given = _given(request, field, arguments)
    context = request.context
    return table_query(
        context.staff(),
        given.get("scope"),
        given.get("filter"),
        given.get("search"),
        given.get("order_by"),
        await saved_view(context, given.get("view")),
    )


def _given(request: Request, field: Field, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the field's resolver is given them: by Python name, converted."""
    assert field.definition is not None
    return resolver_arguments(request.schema, field.definition, arguments)


async def _users(
    request: Request, field: Field, arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    request.context.staff()
    given = _given(request, field, arguments)
    return users_query(given.get("search"), given["include_inactive"])


async def _objects(
    request: Request, field: Field, arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    request.context.staff()
    given = _given(request, field, arguments)
    return objects_query(
        given.get("customer_id"),
        given.get("search"),
        given.get("within"),
        given.get("include_archived"),
    )


async def _projects(
    request: Request, field: Field, arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    request.context.staff()
    given = _given(request, field, arguments)
    return projects_query(
        given.get("customer_id"), given.get("search"), given.get("include_archived")
    )


async def _customers(
    request: Request, _field: Field, arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    request.context.staff()
    return customers_query(arguments.get("search"), arguments.get("includeArchived"))


async def _notifications(
    request: Request, _field: Field, arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    user_id = request.context.staff().staff_user_id
    return lobby_query(user_id, bool(arguments.get("unreadOnly")))


async def _portal_cases(
    request: Request, _field: Field, _arguments: dict[str, Any]
) -> tuple[Select[Any], list[SortKey]]:
    return portal_cases_query(request.context.signed_in())


def _portal_case(_request: Request, arguments: dict[str, Any]) -> int | None:
    return pk_of(arguments.get("id"), "PortalCase")


def _portal_reach(request: Request) -> ColumnElement[bool]:
    return visible_cases(request.context.signed_in())


def _case(request: Request, arguments: dict[str, Any]) -> int | None:
    request.context.staff()
    return pk_of(arguments.get("id"), "Case")


def _viewer_user(request: Request, _arguments: dict[str, Any]) -> int | None:
    return request.context.staff().user_id


def root(field: Field) -> Root:
    """The planned answer of a root field of Query, or `Unsupported`."""
    if field.name == "cases":
        return ConnectionRoot(field, "Case", _cases)
    if field.name == "customers":
        return ConnectionRoot(field, "Customer", _customers)
    if field.name == "case":
        return RowRoot(field, "Case", _case)
    if field.name == "viewer":
        return ViewerRoot(field)
    if field.name == "users":
        return ConnectionRoot(field, "User", _users)
    if field.name == "objects":
        return ConnectionRoot(field, "CaseObject", _objects)
    if field.name == "projects":
        return ConnectionRoot(field, "Project", _projects)
    if field.name == "groups":
        return ListRoot(field, "Group", ("name", "id"))
    if field.name == "portalCases":
        return ConnectionRoot(field, "PortalCase", _portal_cases, portal=True)
    if field.name == "portalCase":
        return RowRoot(field, "PortalCase", _portal_case, portal=True, reach=_portal_reach)
    raise Unsupported(f"Query.{field.name}")
