"""Saved views of the case table: list, save and delete them (applied by `cases(view:)`)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.cases import table, views
from domain.cases.table import CaseScope
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, to_global_id
from graph.resolvers.case_table import CaseFilterInput, CaseOrderInput, unchecked_filter
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.case_view import CaseView

Info = strawberry.Info[Context, None]


@strawberry.input(description="Without an id a new view of mine; with one, that view saved whole.")
class SaveCaseViewInput:
    id: strawberry.ID | None = None
    name: str
    scope: CaseScope | None = CaseScope.ALL
    filter: CaseFilterInput | None = None
    search: str | None = None
    order_by: list[CaseOrderInput] | None = None
    shared: bool | None = False


@strawberry.type
class SaveCaseViewPayload:
    case_view: CaseView | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteCaseViewInput:
    id: strawberry.ID


@strawberry.type
class DeleteCaseViewPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CaseViewQuery:
    @strawberry.field(description="My views and my tenant's shared ones, by name.")
    async def case_views(self, info: Info) -> list[CaseView]:
        viewer = info.context.staff()
        rows = await info.context.scope.read(lambda s: views.views_of(s, viewer))
        return [CaseView.from_row(r) for r in rows]


@strawberry.type
class CaseViewMutation:
    @strawberry.mutation(
        description="Another's shared view: administrators only; another's private one: not found."
    )
    async def save_case_view(self, info: Info, input: SaveCaseViewInput) -> SaveCaseViewPayload:
        settings = views.ViewSettings(
            scope=input.scope or CaseScope.ALL,
            filter=unchecked_filter(input.filter) if input.filter is not None else None,
            search=input.search,
            orders=[table.CaseOrder(o.field, o.direction) for o in input.order_by or ()],
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.CaseView:
            return await views.save_view(
                session,
                viewer,
                our_pk(input.id, "CaseView"),
                input.name,
                settings,
                bool(input.shared),
            )

        outcome = await perform(info, work)
        view = CaseView.from_row(outcome.value) if outcome.value else None
        return SaveCaseViewPayload(case_view=view, user_errors=outcome.errors)

    @strawberry.mutation(
        description="As `saveCaseView`: mine, or as an administrator a shared one."
    )
    async def delete_case_view(
        self, info: Info, input: DeleteCaseViewInput
    ) -> DeleteCaseViewPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> int:
            return await views.delete_view(session, viewer, our_pk(input.id, "CaseView"))

        outcome = await perform(info, work)
        deleted = strawberry.ID(to_global_id("CaseView", outcome.value)) if outcome.value else None
        return DeleteCaseViewPayload(deleted_id=deleted, user_errors=outcome.errors)
