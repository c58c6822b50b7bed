"""SLA warnings and breaches: told once per case, target and due time, however many instances
look at once.

Runs as a system job over every tenant. A target not met warns (SLA_WARNING) once the
warning share of its time is gone, and is breached (SLA_BREACHED) when due; each is first
claimed as a row of `sla_alerts`, whose unique key lets one claimer win, then told to the
case's recipients (those of deadline reminders). A breach is also a change of the case
for the case-change feed (a live table view filtered on `slaBreached` gets it) and an
SLA_BREACHED webhook event. A sweep is a fixed number of statements however many cases
there are.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, exists, literal, select, union_all
from sqlalchemy import case as when
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseStatus, SlaAlert, utcnow
from db.models.base import UTCDateTime
from db.streams import Stream, serialize_appends
from domain import webhooks
from domain.cases.change_feed import note_changing
from domain.cases.recipients import recipients_of_each
from domain.notifications import NotificationKind, insert_notifications, upsert
from domain.sla.case_targets import SlaTarget

log = logging.getLogger("workcloud.sla")

# A target due longer ago than this is not told any more (e.g. after downtime, or a new
# policy over old cases).
STALE_AFTER = timedelta(days=2)
# Claimed per sweep at most; the rest wait for the next one.
MAX_PER_SWEEP = 1000
_ALERTS: Table = SlaAlert.__table__  # type: ignore[assignment]


class AlertPhase(StrEnum):
    WARNING = "WARNING"
    BREACHED = "BREACHED"


_KIND = {
    AlertPhase.WARNING: NotificationKind.SLA_WARNING,
    AlertPhase.BREACHED: NotificationKind.SLA_BREACHED,
}
_TARGETS = (
    (
        SlaTarget.FIRST_RESPONSE,
        Case.sla_first_response_due_at,
        Case.sla_first_response_warn_at,
        Case.sla_first_responded_at,
    ),
    (
        SlaTarget.RESOLUTION,
        Case.sla_resolution_due_at,
        Case.sla_resolution_warn_at,
        Case.sla_resolved_at,
    ),
)


def alert_key(target: SlaTarget, alert_id: int, recipient_id: int) -> str:
    """What makes a notification of an alert unique: sla/<target>/<alert>/<recipient>."""
    return f"sla/{target}/{alert_id}/{recipient_id}"


def sla_target(kind: str, dedupe_key: str | None) -> SlaTarget | None:
    """The target an SLA notification is about, read from its key; None for other kinds."""
    if kind not in _KIND.values() or dedupe_key is None:
        return None
    parts = dedupe_key.split("/")
    return SlaTarget(parts[1]) if len(parts) == 4 and parts[1] in tuple(SlaTarget) else None


def _due(now: datetime) -> Any:
    """(tenant_id, case_id, target, phase, due_at) of every warning or breach due now and
    not yet claimed, for open cases."""
    at = literal(now, UTCDateTime())
    stale = literal(now - STALE_AFTER, UTCDateTime())
    each = []
    for target, due, warn, met in _TARGETS:
        phase = when((due <= at, AlertPhase.BREACHED.value), else_=AlertPhase.WARNING.value)
        each.append(
            select(
                Case.tenant_id,
                Case.id.label("case_id"),
                literal(target.value).label("target"),
                phase.label("phase"),
                due.label("due_at"),
            )
            .join(CaseStatus, CaseStatus.id == Case.status_id)
            .where(
                warn <= at,
                due >= stale,
                met.is_(None),
                Case.sla_policy_id.is_not(None),
                CaseStatus.closed.is_(False),
                ~exists().where(
                    SlaAlert.case_id == Case.id,
                    SlaAlert.target == target.value,
                    SlaAlert.phase == phase,
                    SlaAlert.due_at == due,
                ),
            )
        )
    return union_all(*each).subquery("due")


async def send_due_alerts(session: AsyncSession, now: datetime | None = None) -> int:
    """Claims and tells every warning and breach that is due; returns how many it claimed."""
    now = now or utcnow()
    due = _due(now)
    found = (
        await session.execute(
            select(due).order_by(due.c.case_id, due.c.target, due.c.phase).limit(MAX_PER_SWEEP)
        )
    ).all()
    if not found:
        return 0
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_ALERTS)
    claim = (
        insert.values([{**row._asdict(), "created_at": now} for row in found])
        .on_conflict_do_nothing(index_elements=["case_id", "target", "phase", "due_at"])
        .returning(
            _ALERTS.c.id, _ALERTS.c.case_id, _ALERTS.c.target, _ALERTS.c.phase, _ALERTS.c.due_at
        )
    )
    claimed = (await session.execute(claim)).all()
    if not claimed:
        return 0
    breaches = [row for row in claimed if row.phase == AlertPhase.BREACHED]
    if breaches:
        # A breach is a change of the case for live table views filtered on it: as it was
        # just before the earliest of these fell due, and as it is now.
        just_before = min(row.due_at for row in breaches) - timedelta(microseconds=1)
        await note_changing(session, {row.case_id for row in breaches}, just_before)
    await _notify(session, [row.id for row in claimed], now)
    if breaches:
        cases = {
            c.id: c
            for c in await session.scalars(
                select(Case).where(Case.id.in_({row.case_id for row in breaches}))
            )
        }
        for row in breaches:
            await breached(session, cases[row.case_id], SlaTarget(row.target), row.due_at)
    return len(claimed)


async def _notify(session: AsyncSession, alert_ids: list[int], now: datetime) -> None:
    """The claimed alerts' notifications, one per recipient of each case."""
    alerts = (
        select(
            SlaAlert.id.label("alert_id"),
            SlaAlert.target,
            SlaAlert.phase,
            Case.id,
            Case.tenant_id,
            Case.responsible_id,
        )
        .join(Case, Case.id == SlaAlert.case_id)
        .where(SlaAlert.id.in_(alert_ids))
        .cte("claimed")
    )
    columns = (alerts.c.alert_id, alerts.c.target, alerts.c.phase, alerts.c.id, alerts.c.tenant_id)
    told = (await session.execute(recipients_of_each(alerts, columns))).all()
    if not told:
        return
    await serialize_appends(session, Stream.USER_NOTIFICATIONS, {row[-1] for row in told})
    rows = [
        {
            "tenant_id": tenant_id,
            "recipient_id": recipient_id,
            "kind": _KIND[AlertPhase(phase)].value,
            "case_id": case_id,
            "created_at": now,
            "dedupe_key": alert_key(SlaTarget(target), alert_id, recipient_id),
        }
        for alert_id, target, phase, case_id, tenant_id, recipient_id in sorted(told)
    ]
    await insert_notifications(session, upsert(session).values(rows))


async def breached(session: AsyncSession, case: Case, target: SlaTarget, due_at: datetime) -> None:
    """A newly claimed breach is also an SLA_BREACHED webhook event of the case's tenant."""
    log.info("case %s breached its %s target due %s", case.id, target, due_at.isoformat())
    data = {
        "case": webhooks.case_data(case.id, case.number, case.title),
        "target": target.value,
        "dueAt": due_at,
    }
    await webhooks.emit(session, case.tenant_id, webhooks.WebhookEvent.SLA_BREACHED, data)
