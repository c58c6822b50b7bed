"""Customers, contacts, portal access, objects and projects."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.pagination import SortKey
from domain import customers
from domain.cases.table import inside
from domain.search_patterns import like_pattern
from domain.viewer import Viewer as DomainViewer
from graph.connections import connection
from graph.context import Context
from graph.ids import our_pk, pk_of
from graph.resolvers.case_table import BoundingBoxInput, bounding_box
from graph.resolvers.mutation import perform
from graph.resolvers.taken_emails import within_taken_email_limit
from graph.types.base import Connection, GeoPointInput, UserError
from graph.types.customer import CaseObject, Contact, Customer, Project

Info = strawberry.Info[Context, None]


def _place(address: str | None, location: GeoPointInput | None) -> customers.Place:
    if location is None:
        return customers.Place(address=address)
    return customers.Place(address=address, lat=location.lat, lng=location.lng)


@strawberry.input
class CreateCustomerInput:
    name: str
    email: str | None = None
    phone: str | None = None
    org_number: str | None = None
    address: str | None = None
    location: GeoPointInput | None = None


@strawberry.type
class CreateCustomerPayload:
    customer: Customer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateContactInput:
    customer_id: strawberry.ID
    name: str
    email: str | None = None
    phone: str | None = None


@strawberry.type
class CreateContactPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class EnablePortalAccessInput:
    contact_id: strawberry.ID
    password: str


@strawberry.type
class EnablePortalAccessPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateObjectInput:
    name: str
    customer_id: strawberry.ID | None = None
    address: str | None = None
    location: GeoPointInput | None = None


@strawberry.type
class CreateObjectPayload:
    object: CaseObject | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateProjectInput:
    name: str
    customer_id: strawberry.ID | None = None


@strawberry.type
class CreateProjectPayload:
    project: Project | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _named(model: Any, search: str | None, include_archived: bool | None) -> Select[Any]:
    statement = select(model, model.name, model.id)
    if search:
        statement = statement.where(func.lower(model.name).like(like_pattern(search), escape="\\"))
    if not include_archived:
        statement = statement.where(model.archived_at.is_(None))
    return statement


def _by_name(model: Any) -> list[SortKey]:
    return [SortKey(model.name), SortKey(model.id)]


def objects_query(
    customer_id: strawberry.ID | None,
    search: str | None,
    within: BoundingBoxInput | None,
    include_archived: bool | None,
) -> tuple[Select[Any], list[SortKey]]:
    """The statement and sort keys of `objects`."""
    box = bounding_box(within)
    statement = _named(models.CaseObject, search, include_archived)
    if customer_id is not None:
        owner = our_pk(customer_id, "Customer")
        statement = statement.where(models.CaseObject.customer_id == owner)
    if box is not None:
        statement = statement.where(inside(models.CaseObject.lat, models.CaseObject.lng, box))
    return statement, _by_name(models.CaseObject)


def projects_query(
    customer_id: strawberry.ID | None, search: str | None, include_archived: bool | None
) -> tuple[Select[Any], list[SortKey]]:
    """The statement and sort keys of `projects`."""
    statement = _named(models.Project, search, include_archived)
    if customer_id is not None:
        owner = our_pk(customer_id, "Customer")
        statement = statement.where(models.Project.customer_id == owner)
    return statement, _by_name(models.Project)


def customers_query(
    search: str | None, include_archived: bool | None
) -> tuple[Select[Any], list[SortKey]]:
    """The statement and sort keys of `customers`."""
    statement = _named(models.Customer, None, include_archived)
    if search:
        pattern = like_pattern(search)
        # Beside the name, what a caller may have at hand: the e-mail or org. number.
        statement = statement.where(
            func.lower(models.Customer.name).like(pattern, escape="\\")
            | func.lower(func.coalesce(models.Customer.email, "")).like(pattern, escape="\\")
            | func.lower(func.coalesce(models.Customer.org_number, "")).like(pattern, escape="\\")
        )
    return statement, _by_name(models.Customer)


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="Customers of my tenant, by name; archived ones when asked.")
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        include_archived: bool | None = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Customer]:
        info.context.staff()
        statement, keys = customers_query(search, include_archived)
        return await connection(info, statement, keys, Customer.from_row, first=first, after=after)

    @strawberry.field(description="Objects of my tenant, by name; archived ones when asked.")
    async def objects(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        search: str | None = None,
        within: BoundingBoxInput | None = None,
        include_archived: bool | None = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CaseObject]:
        info.context.staff()
        statement, keys = objects_query(customer_id, search, within, include_archived)
        return await connection(
            info, statement, keys, CaseObject.from_row, first=first, after=after
        )

    @strawberry.field(description="Projects of my tenant, by name; archived ones when asked.")
    async def projects(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        search: str | None = None,
        include_archived: bool | None = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Project]:
        info.context.staff()
        statement, keys = projects_query(customer_id, search, include_archived)
        return await connection(info, statement, keys, Project.from_row, first=first, after=after)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation
    async def create_customer(
        self, info: Info, input: CreateCustomerInput
    ) -> CreateCustomerPayload:
        async def work(session: AsyncSession, _viewer: DomainViewer) -> models.Customer:
            return await customers.create_customer(
                session,
                name=input.name,
                email=input.email,
                phone=input.phone,
                org_number=input.org_number,
                place=_place(input.address, input.location),
            )

        outcome = await perform(info, work)
        customer = Customer.from_row(outcome.value) if outcome.value else None
        return CreateCustomerPayload(customer=customer, user_errors=outcome.errors)

    @strawberry.mutation
    async def create_contact(self, info: Info, input: CreateContactInput) -> CreateContactPayload:
        async def work(session: AsyncSession, _viewer: DomainViewer) -> models.Contact:
            return await customers.create_contact(
                session,
                customer_id=pk_of(input.customer_id, "Customer"),
                name=input.name,
                email=input.email,
                phone=input.phone,
            )

        outcome = await perform(info, work)
        contact = Contact.from_row(outcome.value) if outcome.value else None
        return CreateContactPayload(contact=contact, user_errors=outcome.errors)

    @strawberry.mutation(description="Lets a contact sign in to the customer portal.")
    async def enable_portal_access(
        self, info: Info, input: EnablePortalAccessInput
    ) -> EnablePortalAccessPayload:
        async def work(session: AsyncSession, _viewer: DomainViewer) -> models.Contact:
            return await customers.enable_portal_access(
                session, contact_id=pk_of(input.contact_id, "Contact"), password=input.password
            )

        outcome = await within_taken_email_limit(info, lambda: perform(info, work))
        contact = Contact.from_row(outcome.value) if outcome.value else None
        return EnablePortalAccessPayload(contact=contact, user_errors=outcome.errors)

    @strawberry.mutation
    async def create_object(self, info: Info, input: CreateObjectInput) -> CreateObjectPayload:
        async def work(session: AsyncSession, _viewer: DomainViewer) -> models.CaseObject:
            return await customers.create_object(
                session,
                name=input.name,
                customer_id=pk_of(input.customer_id, "Customer"),
                has_customer=input.customer_id is not None,
                place=_place(input.address, input.location),
            )

        outcome = await perform(info, work)
        obj = CaseObject.from_row(outcome.value) if outcome.value else None
        return CreateObjectPayload(object=obj, user_errors=outcome.errors)

    @strawberry.mutation
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectPayload:
        async def work(session: AsyncSession, _viewer: DomainViewer) -> models.Project:
            return await customers.create_project(
                session,
                name=input.name,
                customer_id=pk_of(input.customer_id, "Customer"),
                has_customer=input.customer_id is not None,
            )

        outcome = await perform(info, work)
        project = Project.from_row(outcome.value) if outcome.value else None
        return CreateProjectPayload(project=project, user_errors=outcome.errors)
