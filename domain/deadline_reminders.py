"""Deadline reminders: once when a deadline comes within the lead time, once when it passes.

Runs as a system job over every tenant. Each reminder has a unique key (case, deadline,
phase, recipient), so however many instances run this at once, each is created once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseModuleSettingsRow, CaseStatus, utcnow
from domain.notifications import NotificationKind, assignees_of, notify

# Reminders are not sent for deadlines that passed longer ago than this (e.g. after downtime).
STALE_AFTER = timedelta(days=2)
# The longest reminder lead time honoured; a tenant's setting is capped to it.
MAX_LEAD = timedelta(days=14)


class Phase(StrEnum):
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"


def phase_of(deadline: datetime, lead: timedelta, now: datetime) -> Phase | None:
    if now >= deadline:
        return Phase.OVERDUE if now - deadline <= STALE_AFTER else None
    return Phase.DUE_SOON if deadline - now <= lead else None


async def recipients_of(session: AsyncSession, case: Case) -> set[int]:
    """The responsible user, or where none, the assignees and members of assigned groups."""
    if case.responsible_id is not None:
        return {case.responsible_id}
    return await assignees_of(session, case.id)


async def send_due_reminders(session: AsyncSession, now: datetime | None = None) -> int:
    """Creates every reminder that is due and not yet sent; returns how many it created."""
    now = now or utcnow()
    rows = await session.execute(
        select(Case, CaseModuleSettingsRow.reminder_lead_minutes)
        .join(CaseModuleSettingsRow, CaseModuleSettingsRow.tenant_id == Case.tenant_id)
        .join(CaseStatus, CaseStatus.id == Case.status_id)
        .where(
            Case.deadline.is_not(None),
            Case.deadline >= now - STALE_AFTER,
            Case.deadline <= now + MAX_LEAD,
            CaseStatus.closed.is_(False),
        )
        .order_by(Case.id)
    )
    created = 0
    for case, lead_minutes in rows.all():
        assert case.deadline is not None
        lead = min(timedelta(minutes=lead_minutes), MAX_LEAD)
        phase = phase_of(case.deadline, lead, now)
        if phase is None:
            continue
        recipients = await recipients_of(session, case)
        stamp = case.deadline.isoformat()
        keys = {r: f"deadline/{case.id}/{stamp}/{phase}/{r}" for r in recipients}
        created += len(
            await notify(
                session,
                tenant_id=case.tenant_id,
                kind=NotificationKind.DEADLINE_REMINDER,
                recipient_ids=recipients,
                case_id=case.id,
                dedupe_keys=keys,
            )
        )
    return created
