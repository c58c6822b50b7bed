"""Reading cases: one by id, and the table and map views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import Select

from db import models
from db.pagination import SortKey
from domain.cases import table
from domain.cases.table import CaseOrderField, CaseScope, OrderDirection
from domain.cases.views import ViewSettings, visible_view
from domain.errors import NotFound
from domain.viewer import Viewer as DomainViewer
from graph.connections import connection
from graph.context import Context
from graph.errors import bad_input
from graph.ids import our_pk, pk_of
from graph.types.base import Connection
from graph.types.case import Case

Info = strawberry.Info[Context, None]

strawberry.enum(CaseScope, name="CaseScope")
strawberry.enum(CaseOrderField, name="CaseOrderField")
strawberry.enum(OrderDirection, name="OrderDirection")


@strawberry.input(name="BoundingBox", description="The map's window, in degrees.")
class BoundingBoxInput:
    south: float
    west: float
    north: float
    east: float


@strawberry.input(name="CaseFilter", description="Every criterion given narrows the list.")
class CaseFilterInput:
    status_ids: list[strawberry.ID] | None = None
    type_ids: list[strawberry.ID] | None = None
    priority_ids: list[strawberry.ID] | None = None
    customer_ids: list[strawberry.ID] | None = None
    assignee_user_ids: list[strawberry.ID] | None = None
    assignee_group_ids: list[strawberry.ID] | None = None
    project_ids: list[strawberry.ID] | None = None
    object_ids: list[strawberry.ID] | None = None
    contact_ids: list[strawberry.ID] | None = None
    responsible_ids: list[strawberry.ID] | None = None
    open: bool | None = strawberry.field(default=None, description="Status not closed.")
    deadline_before: datetime | None = None
    deadline_after: datetime | None = None
    within: BoundingBoxInput | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="A case has them all, in any letter case."
    )
    sla_breached: bool | None = strawberry.field(
        default=None, description="An SLA target was not met when due; false: none was."
    )


@strawberry.input(name="CaseOrder")
class CaseOrderInput:
    field: CaseOrderField
    direction: OrderDirection


def _ids(given: list[strawberry.ID] | None, type_name: str) -> list[int] | None:
    return None if given is None else [our_pk(g, type_name) or 0 for g in given]


def _box(given: BoundingBoxInput | None) -> table.BoundingBox | None:
    if given is None:
        return None
    return table.BoundingBox(given.south, given.west, given.north, given.east)


def bounding_box(given: BoundingBoxInput | None) -> table.BoundingBox | None:
    box = _box(given)
    problem = box.problem() if box is not None else None
    if problem is not None:
        raise bad_input(problem)
    return box


def unchecked_filter(given: CaseFilterInput) -> table.CaseFilter:
    """The filter as sent; an id that is not one of ours names no row (0)."""
    return table.CaseFilter(
        status_ids=_ids(given.status_ids, "CaseStatus"),
        type_ids=_ids(given.type_ids, "CaseType"),
        priority_ids=_ids(given.priority_ids, "CasePriority"),
        customer_ids=_ids(given.customer_ids, "Customer"),
        assignee_user_ids=_ids(given.assignee_user_ids, "User"),
        assignee_group_ids=_ids(given.assignee_group_ids, "Group"),
        project_ids=_ids(given.project_ids, "Project"),
        object_ids=_ids(given.object_ids, "CaseObject"),
        contact_ids=_ids(given.contact_ids, "Contact"),
        responsible_ids=_ids(given.responsible_ids, "User"),
        open=given.open,
        deadline_before=given.deadline_before,
        deadline_after=given.deadline_after,
        within=_box(given.within),
        tags=given.tags,
        sla_breached=given.sla_breached,
    )


def _filter(given: CaseFilterInput | None) -> table.CaseFilter | None:
    if given is None:
        return None
    checked, problems = table.checked_filter(unchecked_filter(given))
    for message in problems.values():
        raise bad_input(message)
    return checked


async def saved_view(context: Context, view: strawberry.ID | None) -> ViewSettings | None:
    """The settings of the view `cases(view:)` names; NOT_FOUND unless the viewer's own or
    shared in their tenant."""
    if view is None:
        return None
    viewer = context.staff()
    pk = pk_of(view, "CaseView")
    found = await context.scope.read(lambda s: visible_view(s, viewer, pk))
    if found is None:
        raise NotFound("The view was not found.")
    return ViewSettings.of(found)


@strawberry.type
class CaseQuery:
    @strawberry.field(description="A case of my tenant; null when it is not one.")
    async def case(self, info: Info, id: strawberry.ID) -> Case | None:
        info.context.staff()
        pk = pk_of(id, "Case")
        row = await info.context.scope.loaders.by_id(models.Case).load(pk) if pk else None
        return Case.from_row(row) if row else None

    @strawberry.field(description="The table and map views: newest first unless ordered.")
    async def cases(
        self,
        info: Info,
        view: strawberry.ID | None = None,
        scope: CaseScope | None = strawberry.UNSET,
        filter: CaseFilterInput | None = None,
        search: str | None = None,
        order_by: list[CaseOrderInput] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Case]:
        viewer = info.context.staff()
        settings = await saved_view(info.context, view)
        statement, keys = table_query(viewer, scope, filter, search, order_by, settings)
        return await connection(info, statement, keys, Case.from_row, first=first, after=after)


def table_query(
    viewer: DomainViewer,
    scope: CaseScope | None,
    filter: CaseFilterInput | None,
    search: str | None,
    order_by: list[CaseOrderInput] | None,
    view: ViewSettings | None = None,
) -> tuple[Select[Any], list[SortKey]]:
    """The statement and sort keys of `cases`; its read plan builds on it too.
    Each argument given (not null) replaces the view's; without either, scope is ALL."""
    saved = view or ViewSettings()
    if search is None:
        search = saved.search
    return table.table_statement(
        user_id=viewer.staff_user_id,
        scope=scope or saved.scope,
        given=_filter(filter) if filter is not None else saved.filter,
        search=search,
        orders=(
            [table.CaseOrder(o.field, o.direction) for o in order_by]
            if order_by is not None
            else saved.orders
        ),
    )
