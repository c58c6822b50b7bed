"""Customers, their contacts, objects and projects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute
from strawberry.types.base import StrawberryObjectDefinition

from db import models
from db.pagination import SortKey
from graph.connections import connection_under
from graph.ids import to_global_id
from graph.types.base import Connection, GeoPoint, Node

# graph.types.case builds on this module (a case names its customer, contact, object and
# project), so the cases listed here are named lazily, with no import back: Strawberry finds
# Case in graph.types.case when it builds the schema, `cases_where` asks the schema for it,
# and to the type checker they are nodes.
if TYPE_CHECKING:
    LazyCase = Node
else:
    LazyCase = Annotated["Case", strawberry.lazy("graph.types.case")]  # noqa: F821


async def cases_where(
    info: strawberry.Info,
    parent: QueryableAttribute[int | None],
    parent_id: int,
    first: int | None,
    after: str | None,
) -> Connection[LazyCase]:
    """The cases whose `parent` (customer, object, project) is `parent_id`, newest first, as
    the table view orders them: for staff only."""
    info.context.staff()
    case = info.schema.get_type_by_name("Case")
    assert isinstance(case, StrawberryObjectDefinition), "Case is an object type"
    statement = select(models.Case, models.Case.created_at, models.Case.id)
    keys = [SortKey(models.Case.created_at, True), SortKey(models.Case.id, True)]
    return await connection_under(
        info,
        ("cases of", parent.key),
        parent,
        parent_id,
        statement,
        keys,
        case.origin.from_row,
        first=first,
        after=after,
    )


async def named_list(
    info: strawberry.Info,
    model: Any,
    customer_id: int,
    include_archived: bool | None,
    to_node: Any,
    first: int | None,
    after: str | None,
) -> Any:
    """A customer's objects or projects by name, archived ones only when asked for."""
    statement = select(model, model.name, model.id)
    if not include_archived:
        statement = statement.where(model.archived_at.is_(None))
    keys = [SortKey(model.name), SortKey(model.id)]
    family = (model.__name__, "of customer", bool(include_archived))
    return await connection_under(
        info,
        family,
        model.customer_id,
        customer_id,
        statement,
        keys,
        to_node,
        first=first,
        after=after,
    )


@strawberry.type
class Customer(Node):
    name: str
    org_number: str | None
    email: str | None
    phone: str | None
    address: str | None
    location: GeoPoint | None
    archived: bool
    pk: strawberry.Private[int]

    @strawberry.field(description="By name; archived contacts only when asked for.")
    async def contacts(
        self, info: strawberry.Info, include_archived: bool | None = False
    ) -> list[Contact]:
        rows = await info.context.scope.loaders.contacts_by_customer_id.load(self.pk)
        return [Contact.from_row(r) for r in rows if include_archived or not r.archived]

    @strawberry.field(description="By name; archived ones only when asked for. Staff only.")
    async def objects(
        self,
        info: strawberry.Info,
        include_archived: bool | None = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CaseObject]:
        info.context.staff()
        return await named_list(  # type: ignore[no-any-return]
            info, models.CaseObject, self.pk, include_archived, CaseObject.from_row, first, after
        )

    @strawberry.field(description="By name; archived ones only when asked for. Staff only.")
    async def projects(
        self,
        info: strawberry.Info,
        include_archived: bool | None = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Project]:
        info.context.staff()
        return await named_list(  # type: ignore[no-any-return]
            info, models.Project, self.pk, include_archived, Project.from_row, first, after
        )

    @strawberry.field(description="The customer's cases, newest first. Staff only.")
    async def cases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[LazyCase]:
        return await cases_where(info, models.Case.customer_id, self.pk, first, after)

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
            archived=row.archived,
        )


@strawberry.type
class Contact(Node):
    name: str
    email: str | None
    phone: str | None
    portal_access: bool
    archived: bool
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
            archived=row.archived,
        )


@strawberry.type
class CaseObject(Node):
    name: str
    address: str | None
    location: GeoPoint | None
    archived: bool
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
            archived=row.archived,
        )

    @strawberry.field(description="The object's cases, newest first. Staff only.")
    async def cases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[LazyCase]:
        return await cases_where(info, models.Case.object_id, self.pk, first, after)


@strawberry.type
class Project(Node):
    name: str
    archived: bool
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
            archived=row.archived,
        )

    @strawberry.field(description="The project's cases, newest first. Staff only.")
    async def cases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[LazyCase]:
        return await cases_where(info, models.Case.project_id, self.pk, first, after)
