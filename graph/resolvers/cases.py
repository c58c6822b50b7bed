"""Registering and working a case: register, update, change customer, take, delete."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.cases import changes, registration
from domain.cases.event_log import Actor
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, to_global_id
from graph.resolvers.case_input import RegisterCaseInput, UpdateCaseInput, case_input
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.case import Case

log = logging.getLogger("workcloud")

Info = strawberry.Info[Context, None]
CaseWork = Callable[[AsyncSession, DomainViewer], Awaitable[models.Case]]


@strawberry.type
class RegisterCasePayload:
    case: Case | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateCasePayload:
    case: Case | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChangeCaseCustomerInput:
    case_id: strawberry.ID
    customer_id: strawberry.ID
    contact_id: strawberry.ID | None = None


@strawberry.input
class TakeCaseInput:
    case_id: strawberry.ID


@strawberry.input
class DeleteCaseInput:
    id: strawberry.ID


@strawberry.type
class DeleteCasePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def case_payload(info: Info, work: CaseWork) -> UpdateCasePayload:
    outcome = await perform(info, work)
    case = Case.from_row(outcome.value) if outcome.value else None
    return UpdateCasePayload(case=case, user_errors=outcome.errors)


@strawberry.type
class CaseMutation:
    @strawberry.mutation(description="A new case; the tenant's settings say what is required.")
    async def register_case(self, info: Info, input: RegisterCaseInput) -> RegisterCasePayload:
        given = case_input(input)

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await registration.register_case(session, Actor.of(viewer), given)

        outcome = await perform(info, work)
        case = Case.from_row(outcome.value) if outcome.value else None
        return RegisterCasePayload(case=case, user_errors=outcome.errors)

    @strawberry.mutation(description="Changes the fields sent, checked as at registration.")
    async def update_case(self, info: Info, input: UpdateCaseInput) -> UpdateCasePayload:
        case_id, given = our_pk(input.id, "Case"), case_input(input)

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await changes.update_case(session, Actor.of(viewer), case_id, given)

        return await case_payload(info, work)

    @strawberry.mutation(description="Moves the case to another customer and contact.")
    async def change_case_customer(
        self, info: Info, input: ChangeCaseCustomerInput
    ) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await changes.change_customer(
                session,
                Actor.of(viewer),
                our_pk(input.case_id, "Case"),
                our_pk(input.customer_id, "Customer"),
                our_pk(input.contact_id, "Contact"),
            )

        return await case_payload(info, work)

    @strawberry.mutation(description="A member of an assigned group becomes responsible.")
    async def take_case(self, info: Info, input: TakeCaseInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await changes.take_case(session, Actor.of(viewer), our_pk(input.case_id, "Case"))

        return await case_payload(info, work)

    @strawberry.mutation(description="An administrator or the case's registrar deletes it.")
    async def delete_case(self, info: Info, input: DeleteCaseInput) -> DeleteCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> tuple[int, list[str]]:
            return await changes.delete_case(session, viewer, our_pk(input.id, "Case"))

        outcome = await perform(info, work)
        if outcome.value is None:
            return DeleteCasePayload(user_errors=outcome.errors)
        deleted_id, files = outcome.value
        # Committed: its files go too. Should the store fail now, the case is deleted all the
        # same and its files are left over, named by no row and reachable by no link.
        try:
            await info.context.services.storage.delete(files)
        except Exception:
            log.exception("the files of deleted case %s could not be removed", deleted_id)
        return DeleteCasePayload(deleted_id=strawberry.ID(to_global_id("Case", deleted_id)))
