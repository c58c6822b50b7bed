"""The e-mail that tells a user a case was assigned to them, where their profile asks for it."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, User
from domain.mail_texts import assignment_mail
from domain.outbox import Email, queue_emails


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
    text = assignment_mail(assigned_by=assigned_by, case_number=case.number, case_title=case.title)
    await queue_emails(
        session,
        [Email(to=email, subject=text.subject, body=text.body) for email, _name in rows.all()],
    )
