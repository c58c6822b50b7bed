"""Deadline reminders: once when a deadline comes within the lead time, once when it passes.

Runs as a system job over every tenant. Each reminder has a unique key (case, deadline,
phase, recipient), so however many instances run this at once, each is created once.
A pass is a fixed number of statements however many cases there are: which reminders
are due and not yet sent is one query, and creating them is one INSERT ... SELECT.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.selectable import Subquery

from db.models import Case, CaseModuleSettingsRow, CaseStatus, Notification, utcnow
from db.models.base import UTCDateTime
from db.streams import Stream, serialize_appends
from domain.cases.recipients import recipients_of_each
from domain.notifications import NotificationKind, insert_notifications, upsert

# Reminders are not sent for deadlines that passed longer ago than this (e.g. after downtime).
STALE_AFTER = timedelta(days=2)
# The longest reminder lead time honoured; a tenant's setting is capped to it.
MAX_LEAD = timedelta(days=14)


class Phase(StrEnum):
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"


class ReminderPhase(StrEnum):
    """What a person reads of a reminder: the one before the deadline, or the one at it."""

    BEFORE = "BEFORE"  # the deadline came within the lead time
    DUE = "DUE"  # the deadline passed


_SHOWN_AS = {Phase.DUE_SOON: ReminderPhase.BEFORE, Phase.OVERDUE: ReminderPhase.DUE}


def reminder_phase(kind: str, dedupe_key: str | None) -> ReminderPhase | None:
    """The phase of a deadline reminder, read from its key (`reminder_key`); None for any
    other notification."""
    if kind != NotificationKind.DEADLINE_REMINDER or dedupe_key is None:
        return None
    # deadline/<case>/<ISO deadline>/<phase>/<recipient>: the deadline holds no "/".
    parts = dedupe_key.split("/")
    phase = parts[-2] if len(parts) == 5 else None
    return _SHOWN_AS.get(Phase(phase)) if phase in tuple(Phase) else None


def phase_of(deadline: datetime, lead: timedelta, now: datetime) -> Phase | None:
    """The rule; a pass applies it in SQL (`_due`), to every case at once."""
    if now >= deadline:
        return Phase.OVERDUE if now - deadline <= STALE_AFTER else None
    return Phase.DUE_SOON if deadline - now <= lead else None


def reminder_key(case_id: int, deadline: datetime, phase: Phase, recipient_id: int) -> str:
    """What makes a reminder unique; `_due` builds the same text in SQL."""
    return f"deadline/{case_id}/{deadline.isoformat()}/{phase}/{recipient_id}"


async def send_due_reminders(session: AsyncSession, now: datetime | None = None) -> int:
    """Creates every reminder that is due and not yet sent; returns how many it created."""
    due = _due(session, now or utcnow())
    recipients = (await session.scalars(select(due.c.recipient_id).distinct())).all()
    if not recipients:
        return 0
    await serialize_appends(session, Stream.USER_NOTIFICATIONS, recipients)
    # Read again after the locks: another instance may have sent some meanwhile, and whoever
    # it sends to now (not locked here) waits for the next pass.
    rows = select(
        due.c.tenant_id,
        due.c.recipient_id,
        literal(NotificationKind.DEADLINE_REMINDER.value),
        due.c.case_id,
        due.c.dedupe_key,
        due.c.created_at,
    ).where(due.c.recipient_id.in_(recipients))
    columns = ["tenant_id", "recipient_id", "kind", "case_id", "dedupe_key", "created_at"]
    created = await insert_notifications(session, upsert(session).from_select(columns, rows))
    return len(created)


def _due(session: AsyncSession, now: datetime) -> Subquery:
    """(tenant_id, case_id, recipient_id, dedupe_key, created_at) of every reminder due now
    and not yet sent, for cases that are open.

    The recipients are those of `recipients_of_each`: who is told about each case.
    """
    dialect = session.get_bind().dialect.name
    at = literal(now, UTCDateTime())
    lead = CaseModuleSettingsRow.reminder_lead_minutes
    cases = (
        select(
            Case.id,
            Case.tenant_id,
            Case.deadline,
            Case.responsible_id,
            case((Case.deadline <= at, Phase.OVERDUE.value), else_=Phase.DUE_SOON.value).label(
                "phase"
            ),
        )
        .join(CaseModuleSettingsRow, CaseModuleSettingsRow.tenant_id == Case.tenant_id)
        .join(CaseStatus, CaseStatus.id == Case.status_id)
        .where(
            # The window every phase lies in; the lead is capped to MAX_LEAD by it.
            Case.deadline >= literal(now - STALE_AFTER, UTCDateTime()),
            Case.deadline <= literal(now + MAX_LEAD, UTCDateTime()),
            or_(Case.deadline <= at, Case.deadline <= _plus_minutes(dialect, now, lead)),
            CaseStatus.closed.is_(False),
        )
        .cte("due_cases")
    )
    columns = (cases.c.id, cases.c.tenant_id, cases.c.deadline, cases.c.phase)
    reminders = recipients_of_each(cases, columns).subquery("reminders")
    key = (
        "deadline/"
        + cast(reminders.c.id, String)
        + "/"
        + _iso_stamp(dialect, reminders.c.deadline)
        + "/"
        + reminders.c.phase
        + "/"
        + cast(reminders.c.recipient_id, String)
    )
    return (
        select(
            reminders.c.tenant_id,
            reminders.c.id.label("case_id"),
            reminders.c.recipient_id,
            key.label("dedupe_key"),
            at.label("created_at"),
        )
        .where(~exists().where(Notification.dedupe_key == key))
        .subquery("due")
    )


def _plus_minutes(
    dialect: str, now: datetime, minutes: ColumnElement[int] | InstrumentedAttribute[int]
) -> ColumnElement[datetime]:
    """`now` plus a number of minutes taken from a column, exact to the microsecond."""
    at = literal(now, UTCDateTime())
    if dialect == "postgresql":
        return at + func.make_interval(0, 0, 0, 0, 0, minutes)
    # SQLite keeps UTC as text, 'YYYY-MM-DD HH:MM:SS.ffffff'; whole minutes leave the
    # fraction as it is.
    text = type_coerce(at, String)
    shifted = func.strftime(
        "%Y-%m-%d %H:%M:%S", text, "+" + cast(minutes, String) + " minutes", type_=String
    )
    return type_coerce(shifted + func.substr(text, 20, type_=String), UTCDateTime())


def _iso_stamp(dialect: str, column: ColumnElement[datetime]) -> ColumnElement[str]:
    """`datetime.isoformat()` of a UTC column, in SQL (see `reminder_key`)."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        microseconds = case(
            (column == func.date_trunc("second", column), ""),
            else_=func.to_char(utc, ".US", type_=String),
        )
        seconds = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=String)
        return seconds + microseconds + "+00:00"
    text = type_coerce(column, String)
    fraction = func.substr(text, 20, type_=String)
    seconds = func.replace(func.substr(text, 1, 19), " ", "T", type_=String)
    return seconds + case((fraction.in_(["", ".000000"]), ""), else_=fraction) + "+00:00"
