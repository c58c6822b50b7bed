"""Customers, their contacts, objects and projects."""

from __future__ import annotations

import strawberry

from db import models
from graph.ids import to_global_id
from graph.types.base import GeoPoint, Node


@strawberry.type
class Customer(Node):
    name: str
    org_number: str | None
    email: str | None
    phone: str | None
    address: str | None
    location: GeoPoint | None
    pk: strawberry.Private[int]

    @strawberry.field
    async def contacts(self, info: strawberry.Info) -> list[Contact]:
        rows = await info.context.scope.loaders.contacts_by_customer_id.load(self.pk)
        return [Contact.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(
            id=strawberry.ID(to_global_id("Customer", row.id)),
            pk=row.id,
            name=row.name,
            org_number=row.org_number,
            email=row.email,
            phone=row.phone,
            address=row.address,
            location=GeoPoint.maybe(row.lat, row.lng),
        )


@strawberry.type
class Contact(Node):
    name: str
    email: str | None
    phone: str | None
    portal_access: bool
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        row = await info.context.scope.loaders.by_id(models.Customer).load(self.customer_pk)
        return Customer.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: models.Contact) -> Contact:
        return cls(
            id=strawberry.ID(to_global_id("Contact", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            name=row.name,
            email=row.email,
            phone=row.phone,
            portal_access=row.portal_password_hash is not None,
        )


@strawberry.type
class CaseObject(Node):
    name: str
    address: str | None
    location: GeoPoint | None
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int | None]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self.customer_pk is None:
            return None
        row = await info.context.scope.loaders.by_id(models.Customer).load(self.customer_pk)
        return Customer.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: models.CaseObject) -> CaseObject:
        return cls(
            id=strawberry.ID(to_global_id("CaseObject", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            name=row.name,
            address=row.address,
            location=GeoPoint.maybe(row.lat, row.lng),
        )


@strawberry.type
class Project(Node):
    name: str
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int | None]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self.customer_pk is None:
            return None
        row = await info.context.scope.loaders.by_id(models.Customer).load(self.customer_pk)
        return Customer.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: models.Project) -> Project:
        return cls(
            id=strawberry.ID(to_global_id("Project", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            name=row.name,
        )
