"""Retiring customers, contacts, objects and projects, and bringing them back.

An archived thing keeps its cases, their links and its history, and can still be read
by id; it leaves every list unless asked for, and cannot be put on a case (see
`domain/cases/proposal.py`). Archiving a customer leaves its contacts, objects and
projects as they are, but none of them can bring a case to it while it is archived.
Archiving twice, or restoring what is not archived, changes nothing.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CaseObject, Contact, Customer, Project
from db.models.base import utcnow
from domain.corrections import found

Archivable = TypeVar("Archivable", Customer, Contact, CaseObject, Project)

WHAT = {
    Customer: "The customer",
    Contact: "The contact",
    CaseObject: "The object",
    Project: "The project",
}


async def archive(session: AsyncSession, model: type[Archivable], pk: int | None) -> Archivable:
    row = await found(session, model, pk, WHAT[model])
    if row.archived_at is None:
        row.archived_at = utcnow()
        await session.flush()
    return row


async def restore(session: AsyncSession, model: type[Archivable], pk: int | None) -> Archivable:
    row = await found(session, model, pk, WHAT[model])
    if row.archived_at is not None:
        row.archived_at = None
        await session.flush()
    return row
