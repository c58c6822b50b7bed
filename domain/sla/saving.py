"""What an administrator saves: business calendars and SLA policies.

A save without an id makes a new one; with one, it saves that one whole. Either way the
open cases it applies to take their policy and due times anew.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BusinessCalendar, Case, CasePriority, CaseType, SlaPolicy, utcnow
from domain import validation
from domain.business_time import Weekday, known_timezone, parse_clock
from domain.errors import Problems
from domain.sla.case_targets import retake_where

NAME_MAX_LENGTH = 200
MAX_HOURS = 100
MAX_HOLIDAYS = 1000
# A target is at most a year of business time.
MAX_TARGET_MINUTES = 366 * 24 * 60
Saved = TypeVar("Saved", BusinessCalendar, SlaPolicy)


@dataclass(frozen=True)
class HoursInput:
    weekday: Weekday
    start: str
    end: str


@dataclass(frozen=True)
class CalendarInput:
    id: int | None
    name: str
    timezone: str
    hours: Sequence[HoursInput]
    holidays: Sequence[date] = ()
    use_swedish_public_holidays: bool = False


@dataclass(frozen=True)
class PolicyInput:
    id: int | None
    name: str
    # Primary keys of the tenant's options; 0 where the id named none of ours.
    priority_ids: Sequence[int] = ()
    type_ids: Sequence[int] = ()
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    calendar_id: int | None = None
    active: bool = True


async def _existing(
    session: AsyncSession, problems: Problems, model: type[Saved], id_: int | None, what: str
) -> Saved | None:
    if id_ is None:
        return None
    column: Any = model.id
    row: Saved | None = await session.scalar(select(model).where(column == id_).with_for_update())
    if row is None:
        problems.not_found("id", what)
    return row


def _checked_hours(problems: Problems, given: Sequence[HoursInput]) -> list[dict[str, str]]:
    if len(given) > MAX_HOURS:
        problems.invalid("hours", f"At most {MAX_HOURS} ranges.")
        return []
    saved = []
    for i, hours in enumerate(given):
        start = parse_clock(hours.start, end=False)
        end = parse_clock(hours.end, end=True)
        if start is None or end is None:
            problems.invalid(
                ("hours", str(i)), 'A range runs from "HH:MM" to "HH:MM" ("24:00" as its end).'
            )
        elif start >= end:
            problems.invalid(("hours", str(i)), "A range must end after it starts.")
        else:
            saved.append({"weekday": hours.weekday.name, "start": hours.start, "end": hours.end})
    return saved


async def save_calendar(session: AsyncSession, given: CalendarInput) -> BusinessCalendar:
    problems = Problems()
    row = await _existing(session, problems, BusinessCalendar, given.id, "The calendar")
    name = validation.text(
        problems, "name", given.name, "Name", required=True, max_length=NAME_MAX_LENGTH
    )
    if not known_timezone(given.timezone):
        problems.invalid("timezone", "Not a known IANA time zone, e.g. Europe/Stockholm.")
    hours = _checked_hours(problems, given.hours)
    if len(given.holidays) > MAX_HOLIDAYS:
        problems.invalid("holidays", f"At most {MAX_HOLIDAYS} holidays.")
    problems.raise_if_any()
    assert name is not None
    if row is None:
        row = BusinessCalendar(created_at=utcnow())
        session.add(row)
    row.name = name
    row.timezone = given.timezone
    row.hours = hours
    row.holidays = sorted({d.isoformat() for d in given.holidays})
    row.use_swedish_public_holidays = given.use_swedish_public_holidays
    await session.flush()
    counting_by_it = select(SlaPolicy.id).where(SlaPolicy.calendar_id == row.id)
    await retake_where(session, Case.sla_policy_id.in_(counting_by_it))
    return row


async def _check_ids(
    session: AsyncSession, problems: Problems, model: Any, ids: Sequence[int], path: str
) -> list[int]:
    """The ids, each once, in the order given; NOT_FOUND unless every one is the tenant's."""
    wanted = list(dict.fromkeys(ids))
    if wanted:
        found = set(await session.scalars(select(model.id).where(model.id.in_(wanted))))
        if found != set(wanted):
            problems.not_found(path, "One of the ids")
    return wanted


def _minutes(problems: Problems, path: str, minutes: int | None) -> None:
    if minutes is not None and not 1 <= minutes <= MAX_TARGET_MINUTES:
        problems.invalid(path, f"Between 1 and {MAX_TARGET_MINUTES} minutes.")


async def save_policy(session: AsyncSession, given: PolicyInput) -> SlaPolicy:
    problems = Problems()
    row = await _existing(session, problems, SlaPolicy, given.id, "The policy")
    name = validation.text(
        problems, "name", given.name, "Name", required=True, max_length=NAME_MAX_LENGTH
    )
    priority_ids = await _check_ids(
        session, problems, CasePriority, given.priority_ids, "priorityIds"
    )
    type_ids = await _check_ids(session, problems, CaseType, given.type_ids, "typeIds")
    _minutes(problems, "firstResponseMinutes", given.first_response_minutes)
    _minutes(problems, "resolutionMinutes", given.resolution_minutes)
    if (
        given.calendar_id is not None
        and await session.get(BusinessCalendar, given.calendar_id) is None
    ):
        problems.not_found("calendarId", "The calendar")
    problems.raise_if_any()
    assert name is not None
    if row is None:
        row = SlaPolicy(created_at=utcnow())
        session.add(row)
    row.name = name
    row.priority_ids = priority_ids
    row.type_ids = type_ids
    row.first_response_minutes = given.first_response_minutes
    row.resolution_minutes = given.resolution_minutes
    row.calendar_id = given.calendar_id
    row.active = given.active
    await session.flush()
    await retake_where(session, or_(Case.sla_policy_id == row.id, _may_apply(row)))
    return row


def _may_apply(policy: SlaPolicy) -> ColumnElement[bool]:
    """The cases whose priority and type the policy matches."""
    return and_(
        Case.priority_id.in_(policy.priority_ids) if policy.priority_ids else true(),
        Case.type_id.in_(policy.type_ids) if policy.type_ids else true(),
    )


async def calendars_of(session: AsyncSession) -> list[BusinessCalendar]:
    """The tenant's calendars, by name."""
    statement = select(BusinessCalendar).order_by(BusinessCalendar.name, BusinessCalendar.id)
    return list(await session.scalars(statement))


async def policies_of(session: AsyncSession) -> list[SlaPolicy]:
    """The tenant's policies, by name."""
    return list(await session.scalars(select(SlaPolicy).order_by(SlaPolicy.name, SlaPolicy.id)))
