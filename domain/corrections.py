"""Correcting customers, contacts, objects and projects: only what is sent changes.

A rename reaches the search text of every case that shows the name, in the same
transaction and in one statement, so search finds the case by its new name at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseObject, Contact, Customer, Project
from domain import validation
from domain.absent import ABSENT, Maybe
from domain.cases.search_text import refresh_search_text_where
from domain.errors import Problems

Row = TypeVar("Row", Customer, Contact, CaseObject, Project)
Point = tuple[float, float]


@dataclass(frozen=True)
class Corrections:
    """What a client sent; ABSENT for a field not sent, None for one sent as null."""

    name: Maybe[str | None] = ABSENT
    email: Maybe[str | None] = ABSENT
    phone: Maybe[str | None] = ABSENT
    org_number: Maybe[str | None] = ABSENT
    address: Maybe[str | None] = ABSENT
    location: Maybe[Point | None] = ABSENT
    # A customer's primary key; 0 for an id that is not one of ours.
    customer_id: Maybe[int | None] = ABSENT


async def found(session: AsyncSession, model: type[Row], pk: int | None, what: str) -> Row:
    """The row of ours, or NOT_FOUND on the input's id (another tenant's included)."""
    row = await session.get(model, pk) if pk else None
    if row is None:
        problems = Problems()
        problems.not_found("id", what)
        problems.raise_if_any()
    assert row is not None
    return row


class _Review:
    """Checks each field sent as creating would, collecting the values to write."""

    def __init__(self, session: AsyncSession, given: Corrections) -> None:
        self.session = session
        self.given = given
        self.problems = Problems()
        self.values: dict[str, Any] = {}

    def name(self) -> None:
        if self.given.name is not ABSENT:
            self.values["name"] = validation.text(
                self.problems, "name", self.given.name, "Name", required=True
            )

    def contact_details(self) -> None:
        if self.given.email is not ABSENT:
            self.values["email"] = validation.email(self.problems, "email", self.given.email)
        if self.given.phone is not ABSENT:
            self.values["phone"] = validation.phone(self.problems, "phone", self.given.phone)

    def org_number(self) -> None:
        if self.given.org_number is not ABSENT:
            self.values["org_number"] = validation.text(
                self.problems,
                "orgNumber",
                self.given.org_number,
                "Organisation number",
                max_length=32,
            )

    def place(self) -> None:
        given = self.given
        if given.address is not ABSENT:
            self.values["address"] = validation.text(
                self.problems, "address", given.address, "Address", max_length=500
            )
        if given.location is not ABSENT:
            point = given.location
            checked = validation.location(self.problems, "location", *point) if point else None
            if point is None or checked is not None:
                self.values["lat"], self.values["lng"] = checked or (None, None)

    async def customer(self, current: int | None) -> None:
        pk = self.given.customer_id
        if pk is ABSENT:
            return
        customer = await self.session.get(Customer, pk) if pk else None
        if pk is not None and customer is None:
            self.problems.not_found("customerId", "The customer")
        elif customer is not None and customer.archived and customer.id != current:
            self.problems.invalid("customerId", "The customer is archived.")
        else:
            self.values["customer_id"] = pk

    async def write(self, row: Row, shown_on: ColumnElement[bool]) -> Row:
        """Writes the values; a new name is refreshed in the search text of `shown_on`."""
        self.problems.raise_if_any()
        renamed = "name" in self.values and self.values["name"] != row.name
        for attribute, value in self.values.items():
            setattr(row, attribute, value)
        if renamed:
            await refresh_search_text_where(self.session, shown_on)
        return row


async def update_customer(session: AsyncSession, pk: int | None, given: Corrections) -> Customer:
    customer = await found(session, Customer, pk, "The customer")
    review = _Review(session, given)
    review.name()
    review.contact_details()
    review.org_number()
    review.place()
    return await review.write(customer, Case.customer_id == customer.id)


async def update_contact(session: AsyncSession, pk: int | None, given: Corrections) -> Contact:
    contact = await found(session, Contact, pk, "The contact")
    review = _Review(session, given)
    review.name()
    review.contact_details()
    return await review.write(contact, Case.contact_id == contact.id)


async def update_object(session: AsyncSession, pk: int | None, given: Corrections) -> CaseObject:
    """Cases already on the object keep their customer: that is their history."""
    obj = await found(session, CaseObject, pk, "The object")
    review = _Review(session, given)
    review.name()
    review.place()
    await review.customer(obj.customer_id)
    return await review.write(obj, Case.object_id == obj.id)


async def update_project(session: AsyncSession, pk: int | None, given: Corrections) -> Project:
    project = await found(session, Project, pk, "The project")
    review = _Review(session, given)
    review.name()
    await review.customer(project.customer_id)
    return await review.write(project, Case.project_id == project.id)
