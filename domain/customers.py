"""Customers, their contacts (and portal access), objects and projects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CaseObject, Contact, Customer, Project
from domain import signin, unique_emails, validation
from domain.errors import Problems
from domain.passwords import hash_password, password_problem


@dataclass(frozen=True)
class Place:
    address: str | None = None
    lat: float | None = None
    lng: float | None = None


def _place(problems: Problems, place: Place) -> tuple[str | None, float | None, float | None]:
    address = validation.text(problems, "address", place.address, "Address", max_length=500)
    if place.lat is None or place.lng is None:
        return address, None, None
    checked = validation.location(problems, "location", place.lat, place.lng)
    return (address, *checked) if checked else (address, None, None)


async def _existing(session: AsyncSession, model: type[Customer], id_: int | None) -> bool:
    return id_ is not None and await session.get(model, id_) is not None


async def create_customer(
    session: AsyncSession,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    org_number: str | None = None,
    place: Place = Place(),
) -> Customer:
    problems = Problems()
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    clean_email = validation.email(problems, "email", email)
    clean_phone = validation.phone(problems, "phone", phone)
    clean_org = validation.text(
        problems, "orgNumber", org_number, "Organisation number", max_length=32
    )
    address, lat, lng = _place(problems, place)
    problems.raise_if_any()
    assert clean_name
    customer = Customer(
        name=clean_name,
        email=clean_email,
        phone=clean_phone,
        org_number=clean_org,
        address=address,
        lat=lat,
        lng=lng,
    )
    session.add(customer)
    await session.flush()
    return customer


async def create_contact(
    session: AsyncSession,
    *,
    customer_id: int | None,
    name: str,
    email: str | None = None,
    phone: str | None = None,
) -> Contact:
    problems = Problems()
    if not await _existing(session, Customer, customer_id):
        problems.not_found("customerId", "The customer")
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    clean_email = validation.email(problems, "email", email)
    clean_phone = validation.phone(problems, "phone", phone)
    problems.raise_if_any()
    assert clean_name and customer_id is not None
    contact = Contact(
        customer_id=customer_id, name=clean_name, email=clean_email, phone=clean_phone
    )
    session.add(contact)
    await session.flush()
    return contact


async def enable_portal_access(
    session: AsyncSession, *, contact_id: int | None, password: str
) -> Contact:
    """Lets a contact sign in to the customer portal with their e-mail and this password."""
    problems = Problems()
    contact = await session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None:
        problems.not_found("contactId", "The contact")
    elif not contact.email:
        problems.required("contactId", "An e-mail address on the contact")
    elif await unique_emails.portal_email_taken(session, contact.email, contact.id):
        problems.invalid("contactId", unique_emails.PORTAL_EMAIL_TAKEN)
    if (message := password_problem(password)) is not None:
        problems.invalid("password", message)
    problems.raise_if_any()
    assert contact is not None and contact.email
    email, contact_pk = contact.email, contact.id
    password_hash = await asyncio.to_thread(hash_password, password)

    def write() -> None:
        contact.portal_email = email
        contact.portal_password_hash = password_hash

    async def recheck() -> None:
        if await unique_emails.portal_email_taken(session, email, contact_pk):
            problems.invalid("contactId", unique_emails.PORTAL_EMAIL_TAKEN)
        problems.raise_if_any()

    await unique_emails.claim(session, write, recheck)
    # A new password ends every portal session signed in with the old one.
    await signin.revoke_all_for_contact(session, contact_pk)
    return contact


async def create_object(
    session: AsyncSession, *, name: str, customer_id: int | None, has_customer: bool, place: Place
) -> CaseObject:
    problems = Problems()
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    if has_customer and not await _existing(session, Customer, customer_id):
        problems.not_found("customerId", "The customer")
    address, lat, lng = _place(problems, place)
    problems.raise_if_any()
    assert clean_name
    obj = CaseObject(name=clean_name, customer_id=customer_id, address=address, lat=lat, lng=lng)
    session.add(obj)
    await session.flush()
    return obj


async def create_project(
    session: AsyncSession, *, name: str, customer_id: int | None, has_customer: bool
) -> Project:
    problems = Problems()
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    if has_customer and not await _existing(session, Customer, customer_id):
        problems.not_found("customerId", "The customer")
    problems.raise_if_any()
    assert clean_name
    project = Project(name=clean_name, customer_id=customer_id)
    session.add(project)
    await session.flush()
    return project
