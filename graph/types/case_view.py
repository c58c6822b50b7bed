"""Saved views of the case table, and the filter and order they hold, as saved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry

from db import models
from domain.cases.table import BoundingBox, CaseFilter, CaseOrderField, CaseScope, OrderDirection
from domain.cases.views import ViewSettings
from graph.ids import to_global_id
from graph.types.base import Node
from graph.types.user import User


@strawberry.type(description="As `BoundingBox`.")
class BoundingBoxValue:
    south: float
    west: float
    north: float
    east: float

    @classmethod
    def maybe(cls, box: BoundingBox | None) -> BoundingBoxValue | None:
        if box is None:
            return None
        return cls(south=box.south, west=box.west, north=box.north, east=box.east)


def _ids(type_name: str, pks: Sequence[int] | None) -> list[strawberry.ID] | None:
    return None if pks is None else [strawberry.ID(to_global_id(type_name, pk)) for pk in pks]


@strawberry.type(description="As `CaseFilter`; null where nothing was saved.")
class CaseFilterValue:
    status_ids: list[strawberry.ID] | None
    type_ids: list[strawberry.ID] | None
    priority_ids: list[strawberry.ID] | None
    customer_ids: list[strawberry.ID] | None
    assignee_user_ids: list[strawberry.ID] | None
    assignee_group_ids: list[strawberry.ID] | None
    project_ids: list[strawberry.ID] | None
    object_ids: list[strawberry.ID] | None
    contact_ids: list[strawberry.ID] | None
    responsible_ids: list[strawberry.ID] | None
    open: bool | None
    deadline_before: datetime | None
    deadline_after: datetime | None
    within: BoundingBoxValue | None
    tags: list[str] | None
    sla_breached: bool | None

    @classmethod
    def of(cls, saved: CaseFilter) -> CaseFilterValue:
        return cls(
            status_ids=_ids("CaseStatus", saved.status_ids),
            type_ids=_ids("CaseType", saved.type_ids),
            priority_ids=_ids("CasePriority", saved.priority_ids),
            customer_ids=_ids("Customer", saved.customer_ids),
            assignee_user_ids=_ids("User", saved.assignee_user_ids),
            assignee_group_ids=_ids("Group", saved.assignee_group_ids),
            project_ids=_ids("Project", saved.project_ids),
            object_ids=_ids("CaseObject", saved.object_ids),
            contact_ids=_ids("Contact", saved.contact_ids),
            responsible_ids=_ids("User", saved.responsible_ids),
            open=saved.open,
            deadline_before=saved.deadline_before,
            deadline_after=saved.deadline_after,
            within=BoundingBoxValue.maybe(saved.within),
            tags=None if saved.tags is None else list(saved.tags),
            sla_breached=saved.sla_breached,
        )


@strawberry.type(description="As `CaseOrder`.")
class CaseOrderValue:
    field: CaseOrderField
    direction: OrderDirection


@strawberry.type(description="A saved scope, filter, search and order of the case table.")
class CaseView(Node):
    name: str
    shared: bool = strawberry.field(description="Listed and applied for everyone of the tenant.")
    scope: CaseScope
    filter: CaseFilterValue | None
    search: str | None
    order_by: list[CaseOrderValue]
    owner_pk: strawberry.Private[int]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User:
        row = await info.context.scope.loaders.by_id(models.User).load(self.owner_pk)
        assert row is not None, "a view goes with its owner"
        return User.from_row(row)

    @classmethod
    def from_row(cls, row: models.CaseView) -> CaseView:
        settings = ViewSettings.of(row)
        return cls(
            id=strawberry.ID(to_global_id("CaseView", row.id)),
            name=row.name,
            shared=row.shared,
            scope=settings.scope,
            filter=CaseFilterValue.of(settings.filter) if settings.filter is not None else None,
            search=settings.search,
            order_by=[
                CaseOrderValue(field=o.field, direction=o.direction) for o in settings.orders
            ],
            owner_pk=row.owner_id,
        )
