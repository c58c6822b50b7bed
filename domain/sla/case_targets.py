"""Each case's service level: the policy it takes, when its targets are due, when they are met.

A case takes the most specific active policy matching its priority and type on
registration and whenever either changes; its due times count business time (the policy's
calendar) from `createdAt`. The first response is met by the first message to the customer,
the resolution by entering a closed status; a reopening clears the resolution and delays
its due time by the business time the case spent closed. Nothing else pauses.

The rule of a breach has two forms that must agree: `breaches` for one case in Python,
`due_columns.breached` in SQL for the table view's filter and the case-change feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BusinessCalendar, Case, CaseStatus, SlaPolicy
from domain.business_time import ALWAYS_OPEN, Clock
from domain.cases.change_feed import note_changing
from domain.cases.state import CaseState
from domain.sla.calendars import calendar_of, clock_of

# Cases written per UPDATE when a policy or calendar change moves many due times.
BATCH = 500


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"


class _Share:
    """The share of a target's time after which it warns (WORKCLOUD_SLA_WARNING_SHARE)."""

    value = 0.8


def configure(*, warning_share: float) -> None:
    """Set once by the app from its settings, before it serves."""
    if not 0 < warning_share <= 1:
        raise ValueError("the SLA warning share lies in (0, 1]")
    _Share.value = warning_share


def best_policy(
    policies: Iterable[SlaPolicy], priority_id: int | None, type_id: int | None
) -> SlaPolicy | None:
    """The most specific active policy that matches (priority and type, then one, then
    neither), the oldest among equals."""
    matching = [
        p
        for p in policies
        if p.active
        and (not p.priority_ids or priority_id in p.priority_ids)
        and (not p.type_ids or type_id in p.type_ids)
    ]
    if not matching:
        return None
    return min(
        matching, key=lambda p: (-(bool(p.priority_ids) + bool(p.type_ids)), p.created_at, p.id)
    )


def _targets(
    policy: SlaPolicy | None, clock: Clock, created_at: datetime, paused_seconds: int
) -> dict[str, Any]:
    """The policy and due and warning times of a case (as columns), by the policy's clock."""
    values: dict[str, Any] = {
        "sla_policy_id": policy.id if policy is not None else None,
        "sla_first_response_due_at": None,
        "sla_first_response_warn_at": None,
        "sla_resolution_due_at": None,
        "sla_resolution_warn_at": None,
    }
    if policy is None:
        return values
    share = _Share.value
    if policy.first_response_minutes is not None:
        target = timedelta(minutes=policy.first_response_minutes)
        values["sla_first_response_due_at"] = clock.due_at(created_at, target)
        values["sla_first_response_warn_at"] = clock.due_at(created_at, target * share)
    if policy.resolution_minutes is not None:
        target = timedelta(minutes=policy.resolution_minutes)
        paused = timedelta(seconds=paused_seconds)
        values["sla_resolution_due_at"] = clock.due_at(created_at, target + paused)
        values["sla_resolution_warn_at"] = clock.due_at(created_at, target * share + paused)
    return values


async def _active_policies(session: AsyncSession) -> list[SlaPolicy]:
    return list(await session.scalars(select(SlaPolicy).where(SlaPolicy.active.is_(True))))


async def _clock(session: AsyncSession, policy: SlaPolicy | None) -> Clock:
    if policy is None or policy.calendar_id is None:
        return ALWAYS_OPEN
    return clock_of(await session.get(BusinessCalendar, policy.calendar_id))


async def _closed(session: AsyncSession, status_id: int | None) -> bool:
    status = await session.get(CaseStatus, status_id) if status_id is not None else None
    return status is not None and status.closed


async def follow_case(session: AsyncSession, case: Case, before: CaseState, now: datetime) -> None:
    """After a registration (`before` empty) or a change of `case`: its policy and due times
    when its priority or type changed, its resolution when its status opened or closed."""
    registering = before.status_id is None
    retaking = registering or (before.priority_id, before.type_id) != (
        case.priority_id,
        case.type_id,
    )
    reopened = False
    if registering or before.status_id != case.status_id:
        was_closed = not registering and await _closed(session, before.status_id)
        is_closed = await _closed(session, case.status_id)
        if is_closed and not was_closed:
            case.sla_resolved_at = now
        elif was_closed and not is_closed and case.sla_resolved_at is not None:
            reopened = True
    if not (retaking or reopened):
        return
    if retaking:
        policy = best_policy(await _active_policies(session), case.priority_id, case.type_id)
    else:
        policy = await session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None
    clock = await _clock(session, policy)
    if reopened:
        assert case.sla_resolved_at is not None
        closed_for = clock.between(case.sla_resolved_at, now)
        case.sla_paused_seconds = (case.sla_paused_seconds or 0) + int(closed_for.total_seconds())
        case.sla_resolved_at = None
    for column, value in _targets(
        policy, clock, case.created_at, case.sla_paused_seconds or 0
    ).items():
        setattr(case, column, value)


def record_first_response(case: Case, at: datetime) -> None:
    """A message to the customer: the first one meets the first-response target. The caller
    holds the case's conversation, so two first messages cannot both count."""
    if case.sla_first_responded_at is None:
        case.sla_first_responded_at = at


def record_merge(source: Case, target: Case, at: datetime) -> None:
    """A merge closes the source, which resolves it; its messages, now the target's, may
    hold the target's first response."""
    if source.sla_resolved_at is None:
        source.sla_resolved_at = at
    responded = source.sla_first_responded_at
    if responded is not None and (
        target.sla_first_responded_at is None or responded < target.sla_first_responded_at
    ):
        target.sla_first_responded_at = responded


async def retake_where(session: AsyncSession, which: ColumnElement[bool]) -> int:
    """The open cases `which` selects take their policy and due times anew (after a policy
    or calendar was saved); returns how many changed. One read, one UPDATE per batch."""
    rows = (
        await session.execute(
            select(
                Case.id,
                Case.created_at,
                Case.priority_id,
                Case.type_id,
                Case.sla_paused_seconds,
                Case.sla_policy_id,
                Case.sla_first_response_due_at,
                Case.sla_first_response_warn_at,
                Case.sla_resolution_due_at,
                Case.sla_resolution_warn_at,
            )
            .join(CaseStatus, CaseStatus.id == Case.status_id)
            .where(CaseStatus.closed.is_(False), which)
            .order_by(Case.id)
            .with_for_update(of=Case)
        )
    ).all()
    if not rows:
        return 0
    policies = await _active_policies(session)
    calendar_ids = {p.calendar_id for p in policies if p.calendar_id is not None}
    calendars = {
        c.id: calendar_of(c)
        for c in await session.scalars(
            select(BusinessCalendar).where(BusinessCalendar.id.in_(calendar_ids))
        )
    }
    changed: list[dict[str, Any]] = []
    for row in rows:
        policy = best_policy(policies, row.priority_id, row.type_id)
        clock: Clock = ALWAYS_OPEN
        if policy is not None and policy.calendar_id in calendars:
            clock = calendars[policy.calendar_id]
        values = _targets(policy, clock, row.created_at, row.sla_paused_seconds or 0)
        if any(getattr(row, column) != value for column, value in values.items()):
            changed.append({"case_pk": row.id, **{f"new_{k}": v for k, v in values.items()}})
    if changed:
        await _write(session, changed)
    return len(changed)


async def _write(session: AsyncSession, changed: Sequence[dict[str, Any]]) -> None:
    await note_changing(session, [c["case_pk"] for c in changed])
    table: Any = Case.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("case_pk"))
        .values({column: bindparam(f"new_{column}") for column in _TARGET_COLUMNS})
    )
    # On the connection: a statement per batch of rows, which the ORM's hooks would read as
    # a change of every case (the cases are noted above instead).
    connection = await session.connection()
    for start in range(0, len(changed), BATCH):
        await connection.execute(statement, list(changed[start : start + BATCH]))


_TARGET_COLUMNS = (
    "sla_policy_id",
    "sla_first_response_due_at",
    "sla_first_response_warn_at",
    "sla_resolution_due_at",
    "sla_resolution_warn_at",
)


def breaches(case: Case, now: datetime) -> list[SlaTarget]:
    """The targets not met when due: met late, or not met and due by now (as
    due_columns.breached in SQL)."""
    found = []
    for target, due, met in _each_target(case):
        if due is not None and ((met is None and now >= due) or (met is not None and met > due)):
            found.append(target)
    return found


def _each_target(case: Case) -> list[tuple[SlaTarget, datetime | None, datetime | None]]:
    return [
        (SlaTarget.FIRST_RESPONSE, case.sla_first_response_due_at, case.sla_first_responded_at),
        (SlaTarget.RESOLUTION, case.sla_resolution_due_at, case.sla_resolved_at),
    ]
