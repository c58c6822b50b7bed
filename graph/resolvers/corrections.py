"""Correcting customers, contacts, objects and projects: only the fields sent change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domain import corrections
from domain.absent import ABSENT, Maybe
from domain.corrections import Corrections
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, pk_of
from graph.resolvers.mutation import Outcome, perform
from graph.types.base import NOT_SENT, GeoPointInput, UserError, sent
from graph.types.customer import CaseObject, Contact, Customer, Project

Info = strawberry.Info[Context, None]
Row = TypeVar("Row")

_NOTE = "Only the fields sent change; null clears one (a name cannot be cleared)."


@strawberry.input(description=_NOTE)
class UpdateCustomerInput:
    id: strawberry.ID
    name: str | None = NOT_SENT
    email: str | None = NOT_SENT
    phone: str | None = NOT_SENT
    org_number: str | None = NOT_SENT
    address: str | None = NOT_SENT
    location: GeoPointInput | None = NOT_SENT


@strawberry.type
class UpdateCustomerPayload:
    customer: Customer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description=_NOTE)
class UpdateContactInput:
    id: strawberry.ID
    name: str | None = NOT_SENT
    email: str | None = NOT_SENT
    phone: str | None = NOT_SENT


@strawberry.type
class UpdateContactPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description=_NOTE + " Cases already on the object keep their customer.")
class UpdateObjectInput:
    id: strawberry.ID
    name: str | None = NOT_SENT
    customer_id: strawberry.ID | None = NOT_SENT
    address: str | None = NOT_SENT
    location: GeoPointInput | None = NOT_SENT


@strawberry.type
class UpdateObjectPayload:
    object: CaseObject | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description=_NOTE)
class UpdateProjectInput:
    id: strawberry.ID
    name: str | None = NOT_SENT
    customer_id: strawberry.ID | None = NOT_SENT


@strawberry.type
class UpdateProjectPayload:
    project: Project | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _location(given: GeoPointInput | None) -> Maybe[tuple[float, float] | None]:
    point = sent(given)
    return point if point is ABSENT or point is None else (point.lat, point.lng)


def _customer(given: strawberry.ID | None) -> Maybe[int | None]:
    value = sent(given)
    return value if value is ABSENT else our_pk(value, "Customer")


def _optional(input: Any, name: str) -> Any:
    return sent(getattr(input, name, NOT_SENT))


async def _correct(
    info: Info,
    update: Callable[[AsyncSession, int | None, Corrections], Awaitable[Row]],
    pk: int | None,
    input: Any,
) -> Outcome[Row]:
    given = Corrections(
        name=_optional(input, "name"),
        email=_optional(input, "email"),
        phone=_optional(input, "phone"),
        org_number=_optional(input, "org_number"),
        address=_optional(input, "address"),
        location=_location(getattr(input, "location", NOT_SENT)),
        customer_id=_customer(getattr(input, "customer_id", NOT_SENT)),
    )

    async def work(session: AsyncSession, _viewer: DomainViewer) -> Row:
        return await update(session, pk, given)

    return await perform(info, work)


@strawberry.type
class CorrectionMutation:
    @strawberry.mutation
    async def update_customer(
        self, info: Info, input: UpdateCustomerInput
    ) -> UpdateCustomerPayload:
        pk = pk_of(input.id, "Customer")
        outcome = await _correct(info, corrections.update_customer, pk, input)
        customer = Customer.from_row(outcome.value) if outcome.value else None
        return UpdateCustomerPayload(customer=customer, user_errors=outcome.errors)

    @strawberry.mutation
    async def update_contact(self, info: Info, input: UpdateContactInput) -> UpdateContactPayload:
        pk = pk_of(input.id, "Contact")
        outcome = await _correct(info, corrections.update_contact, pk, input)
        contact = Contact.from_row(outcome.value) if outcome.value else None
        return UpdateContactPayload(contact=contact, user_errors=outcome.errors)

    @strawberry.mutation
    async def update_object(self, info: Info, input: UpdateObjectInput) -> UpdateObjectPayload:
        pk = pk_of(input.id, "CaseObject")
        outcome = await _correct(info, corrections.update_object, pk, input)
        obj = CaseObject.from_row(outcome.value) if outcome.value else None
        return UpdateObjectPayload(object=obj, user_errors=outcome.errors)

    @strawberry.mutation
    async def update_project(self, info: Info, input: UpdateProjectInput) -> UpdateProjectPayload:
        pk = pk_of(input.id, "Project")
        outcome = await _correct(info, corrections.update_project, pk, input)
        project = Project.from_row(outcome.value) if outcome.value else None
        return UpdateProjectPayload(project=project, user_errors=outcome.errors)
