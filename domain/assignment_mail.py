"""The e-mail that tells a user a case was assigned to them, where their profile asks for it."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, User
from domain.outbox import Email, queue_emails


def _case_name(case: Case) -> str:
    return f"ärende {case.number}: {case.title}" if case.title else f"ärende {case.number}"


async def queue_assignment_mail(
    session: AsyncSession, case: Case, recipient_ids: Collection[int], assigned_by: str | None
) -> None:
    """One e-mail to each of `recipient_ids` (just given an ASSIGNED notification) who is
    active and has `emailOnAssignment` on; `assigned_by` is None when the system did it."""
    if not recipient_ids:
        return
    rows = await session.execute(
        select(User.email, User.name)
        .where(
            User.id.in_(recipient_ids),
            User.active.is_(True),
            User.email_on_assignment.is_(True),
        )
        .order_by(User.id)
    )
    what = _case_name(case)
    done = f"{assigned_by} har tilldelat dig {what}." if assigned_by else f"Du har fått {what}."
    await queue_emails(
        session,
        [
            Email(
                to=email,
                subject=f"Tilldelat dig: {what[0].upper()}{what[1:]}",
                body=f"Hej {name}!\n\n{done}\n",
            )
            for email, name in rows.all()
        ],
    )
