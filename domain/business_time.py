"""Business time: weekly opening hours in a time zone, minus holidays, and adding it to a moment.

A day's hours are local wall-clock ranges ("08:00".."17:00", "24:00" ends at the next
midnight), turned into UTC instants for that very date, so a change to or from daylight
saving time makes that day as long as the clock says (a 00:00-24:00 day on the spring
change is 23 hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as public_holidays

MINUTES_PER_DAY = 24 * 60
_ONE_DAY = timedelta(days=1)
# Beyond this a due time is not worth computing: no target is years of business time away.
MAX_SPAN = timedelta(days=366 * 25)


class Weekday(IntEnum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@dataclass(frozen=True, order=True)
class OpeningHours:
    """One weekday's range, in minutes after local midnight; `end` may be 1440 ("24:00")."""

    weekday: Weekday
    start: int
    end: int


def parse_clock(text: str, *, end: bool) -> int | None:
    """Minutes after midnight of "HH:MM" (00:00-23:59; "24:00" too as an end), else None."""
    if len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        return None
    hours, minutes = int(text[:2]), int(text[3:])
    if end and (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def known_timezone(name: str) -> bool:
    return name in _timezones()


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=64)
def swedish_public_holidays(year: int) -> frozenset[date]:
    """Allmänna helgdagar that can fall on a weekday, and midsommar-, jul- and nyårsafton.

    Every Sunday is one by law too, but whether Sundays are worked is the weekly hours' to say.
    """
    days = set(public_holidays.country_holidays("SE", years=year, include_sundays=False))
    # Midsommarafton: the Friday between 19 and 25 June.
    june_19 = date(year, 6, 19)
    days.add(june_19 + timedelta(days=(Weekday.FRIDAY - june_19.weekday()) % 7))
    days.update({date(year, 12, 24), date(year, 12, 31)})
    return frozenset(days)


@dataclass(frozen=True)
class Calendar:
    """When business time runs. No hours at all: every hour of every day that is no holiday."""

    timezone: str
    hours: tuple[OpeningHours, ...]
    holidays: frozenset[date] = frozenset()
    swedish_public_holidays: bool = False

    def __post_init__(self) -> None:
        if not known_timezone(self.timezone):
            raise ValueError(f"unknown time zone {self.timezone!r}")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (
            self.swedish_public_holidays and day in swedish_public_holidays(day.year)
        )

    def openings(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's business time as UTC ranges, in order and without overlaps."""
        if self.is_holiday(day):
            return []
        ranges = (
            _merged((h.start, h.end) for h in self.hours if h.weekday == day.weekday())
            if self.hours
            else [(0, MINUTES_PER_DAY)]
        )
        found: list[tuple[datetime, datetime]] = []
        for start, end in ranges:
            begin, finish = self._instant(day, start), self._instant(day, end)
            if begin < finish:
                found.append((begin, finish))
        return found

    def _instant(self, day: date, minutes: int) -> datetime:
        """The UTC instant of a local wall-clock time; the zone's offset at it decides."""
        wall = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def _days_from(self, moment: datetime) -> Iterator[date]:
        day = moment.astimezone(self.zone).date()
        last = day + MAX_SPAN
        while day <= last:
            yield day
            day += _ONE_DAY
        raise OverflowError("no business time within reach")

    def due_at(self, start: datetime, span: timedelta) -> datetime:
        """`start` plus `span` of business time; a due time that falls at a closing time is
        that closing time, not the next opening."""
        if span <= timedelta(0):
            return start
        remaining = span
        for day in self._days_from(start):
            for begin, finish in self.openings(day):
                if finish <= start:
                    continue
                begin = max(begin, start)
                if remaining <= finish - begin:
                    return begin + remaining
                remaining -= finish - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The business time from `start` to `end` (nothing when end is not after start)."""
        total = timedelta(0)
        if end <= start:
            return total
        for day in self._days_from(start):
            for begin, finish in self.openings(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta(0):
                    total += overlap
            if self._instant(day + _ONE_DAY, 0) >= end:
                return total
        raise AssertionError("unreachable")  # pragma: no cover


class AlwaysOpen:
    """No calendar: business time is all time."""

    def due_at(self, start: datetime, span: timedelta) -> datetime:
        return start + max(span, timedelta(0))

    def between(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))


ALWAYS_OPEN = AlwaysOpen()
Clock = Calendar | AlwaysOpen


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover - checked first
        raise ValueError(f"unknown time zone {name!r}") from error


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
