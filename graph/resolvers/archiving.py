"""Archiving customers, contacts, objects and projects, and restoring them.

Each mutation has its own `<Mutation>Input {id}` and `<Mutation>Payload`, as every mutation does.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import archiving
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.mutation import Outcome, perform
from graph.types.base import UserError
from graph.types.customer import CaseObject, Contact, Customer, Project

Info = strawberry.Info[Context, None]
_ARCHIVED = "Archived: kept with its cases and history, left out of lists, not put on cases."


@strawberry.input
class ArchiveCustomerInput:
    id: strawberry.ID


@strawberry.type
class ArchiveCustomerPayload:
    customer: Customer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RestoreCustomerInput:
    id: strawberry.ID


@strawberry.type
class RestoreCustomerPayload:
    customer: Customer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ArchiveContactInput:
    id: strawberry.ID


@strawberry.type
class ArchiveContactPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RestoreContactInput:
    id: strawberry.ID


@strawberry.type
class RestoreContactPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ArchiveObjectInput:
    id: strawberry.ID


@strawberry.type
class ArchiveObjectPayload:
    object: CaseObject | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RestoreObjectInput:
    id: strawberry.ID


@strawberry.type
class RestoreObjectPayload:
    object: CaseObject | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ArchiveProjectInput:
    id: strawberry.ID


@strawberry.type
class ArchiveProjectPayload:
    project: Project | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RestoreProjectInput:
    id: strawberry.ID


@strawberry.type
class RestoreProjectPayload:
    project: Project | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _set(info: Info, model: Any, type_name: str, id: strawberry.ID, on: bool) -> Outcome[Any]:
    pk = pk_of(id, type_name)

    async def work(session: AsyncSession, _viewer: DomainViewer) -> Any:
        change = archiving.archive if on else archiving.restore
        return await change(session, model, pk)

    return await perform(info, work)


@strawberry.type
class ArchivingMutation:
    @strawberry.mutation(description=_ARCHIVED)
    async def archive_customer(
        self, info: Info, input: ArchiveCustomerInput
    ) -> ArchiveCustomerPayload:
        outcome = await _set(info, models.Customer, "Customer", input.id, True)
        row = Customer.from_row(outcome.value) if outcome.value else None
        return ArchiveCustomerPayload(customer=row, user_errors=outcome.errors)

    @strawberry.mutation
    async def restore_customer(
        self, info: Info, input: RestoreCustomerInput
    ) -> RestoreCustomerPayload:
        outcome = await _set(info, models.Customer, "Customer", input.id, False)
        row = Customer.from_row(outcome.value) if outcome.value else None
        return RestoreCustomerPayload(customer=row, user_errors=outcome.errors)

    @strawberry.mutation(description=_ARCHIVED)
    async def archive_contact(
        self, info: Info, input: ArchiveContactInput
    ) -> ArchiveContactPayload:
        outcome = await _set(info, models.Contact, "Contact", input.id, True)
        row = Contact.from_row(outcome.value) if outcome.value else None
        return ArchiveContactPayload(contact=row, user_errors=outcome.errors)

    @strawberry.mutation
    async def restore_contact(
        self, info: Info, input: RestoreContactInput
    ) -> RestoreContactPayload:
        outcome = await _set(info, models.Contact, "Contact", input.id, False)
        row = Contact.from_row(outcome.value) if outcome.value else None
        return RestoreContactPayload(contact=row, user_errors=outcome.errors)

    @strawberry.mutation(description=_ARCHIVED)
    async def archive_object(self, info: Info, input: ArchiveObjectInput) -> ArchiveObjectPayload:
        outcome = await _set(info, models.CaseObject, "CaseObject", input.id, True)
        row = CaseObject.from_row(outcome.value) if outcome.value else None
        return ArchiveObjectPayload(object=row, user_errors=outcome.errors)

    @strawberry.mutation
    async def restore_object(self, info: Info, input: RestoreObjectInput) -> RestoreObjectPayload:
        outcome = await _set(info, models.CaseObject, "CaseObject", input.id, False)
        row = CaseObject.from_row(outcome.value) if outcome.value else None
        return RestoreObjectPayload(object=row, user_errors=outcome.errors)

    @strawberry.mutation(description=_ARCHIVED)
    async def archive_project(
        self, info: Info, input: ArchiveProjectInput
    ) -> ArchiveProjectPayload:
        outcome = await _set(info, models.Project, "Project", input.id, True)
        row = Project.from_row(outcome.value) if outcome.value else None
        return ArchiveProjectPayload(project=row, user_errors=outcome.errors)

    @strawberry.mutation
    async def restore_project(
        self, info: Info, input: RestoreProjectInput
    ) -> RestoreProjectPayload:
        outcome = await _set(info, models.Project, "Project", input.id, False)
        row = Project.from_row(outcome.value) if outcome.value else None
        return RestoreProjectPayload(project=row, user_errors=outcome.errors)
