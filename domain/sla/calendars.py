"""Business calendars as saved, read as business time."""

from __future__ import annotations

from datetime import date

from db.models import BusinessCalendar
from domain.business_time import ALWAYS_OPEN, Calendar, Clock, OpeningHours, Weekday, parse_clock


def hours_of(row: BusinessCalendar) -> list[OpeningHours]:
    """The saved ranges, in the order saved."""
    found = []
    for saved in row.hours or []:
        start = parse_clock(saved["start"], end=False)
        end = parse_clock(saved["end"], end=True)
        assert start is not None and end is not None, "saved hours were checked"
        found.append(OpeningHours(Weekday[saved["weekday"]], start, end))
    return found


def calendar_of(row: BusinessCalendar) -> Calendar:
    return Calendar(
        timezone=row.timezone,
        hours=tuple(hours_of(row)),
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays or []),
        swedish_public_holidays=row.use_swedish_public_holidays,
    )


def clock_of(row: BusinessCalendar | None) -> Clock:
    """Business time by the calendar; without one, all time is business time."""
    return calendar_of(row) if row is not None else ALWAYS_OPEN
