"""Business calendars: weekly hours in a time zone less holidays, and adding business time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.business_time import Calendar, OpeningHours, Weekday, swedish_public_holidays
from tests.support.client import Api

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]
OFFICE = tuple(OpeningHours(d, 8 * 60, 17 * 60) for d in WEEKDAYS)

SAVE = """mutation($input: SaveBusinessCalendarInput!) { saveBusinessCalendar(input: $input) {
  businessCalendar { id name timezone hours { weekday start end } holidays useSwedishPublicHolidays }
  userErrors { field message code } } }"""
CALENDARS = "{ businessCalendars { id name } }"
DUE_AT = """query($id: ID!, $start: DateTime!, $minutes: Int!) { node(id: $id) {
  ... on BusinessCalendar { dueAt(start: $start, minutes: $minutes) } } }"""


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)  # type: ignore[misc]


def office(**more: Any) -> Calendar:
    return Calendar("Europe/Stockholm", OFFICE, **more)


def test_business_time_skips_the_weekend_and_ends_at_a_closing_time() -> None:
    friday_afternoon = local(2026, 11, 27, 16, 0)
    assert office().due_at(friday_afternoon, timedelta(minutes=120)) == local(2026, 11, 30, 9, 0)
    # Due exactly when Friday closes: then, not at Monday's opening.
    assert office().due_at(friday_afternoon, timedelta(minutes=60)) == local(2026, 11, 27, 17, 0)
    # Started on a Saturday, the clock runs from Monday's opening.
    assert office().due_at(local(2026, 11, 28, 12, 0), timedelta(minutes=30)) == local(
        2026, 11, 30, 8, 30
    )
    assert office().between(friday_afternoon, local(2026, 11, 30, 9, 0)) == timedelta(hours=2)


def test_swedish_public_holidays_include_midsommarafton_julafton_and_nyarsafton() -> None:
    days = swedish_public_holidays(2026)
    assert {date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)} <= days
    assert {date(2026, 1, 6), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 14)} <= days
    assert date(2026, 6, 22) not in days and date(2026, 11, 29) not in days  # Monday, Sunday

    # Thursday before midsommar, 16:00: Friday is midsommarafton, so Monday it is.
    thursday = local(2026, 6, 18, 16, 0)
    swedish = office(swedish_public_holidays=True)
    assert swedish.due_at(thursday, timedelta(minutes=120)) == local(2026, 6, 22, 9, 0)
    assert office().due_at(thursday, timedelta(minutes=120)) == local(2026, 6, 19, 9, 0)
    # Julafton (Thu), juldagen (Fri): from Wednesday 23 December to Monday 28.
    wednesday = local(2026, 12, 23, 16, 0)
    assert swedish.due_at(wednesday, timedelta(minutes=120)) == local(2026, 12, 28, 9, 0)
    # A holiday of the calendar's own.
    own = office(holidays=frozenset({date(2026, 11, 30)}))
    assert own.due_at(local(2026, 11, 27, 16, 0), timedelta(minutes=120)) == local(
        2026, 12, 1, 9, 0
    )


def test_daylight_saving_changes_make_days_as_long_as_the_clock_says() -> None:
    sundays = Calendar("Europe/Stockholm", (OpeningHours(Weekday.SUNDAY, 0, 24 * 60),))
    spring, autumn = local(2026, 3, 29, 0, 0), local(2026, 10, 25, 0, 0)
    # Spring: 23 hours from midnight to midnight, autumn: 25.
    assert sundays.due_at(spring, timedelta(hours=23)) == local(2026, 3, 30, 0, 0)
    assert sundays.due_at(spring, timedelta(hours=23, minutes=1)) == local(2026, 4, 5, 0, 1)
    assert sundays.due_at(autumn, timedelta(hours=25)) == local(2026, 10, 26, 0, 0)
    assert sundays.due_at(autumn, timedelta(hours=24)).astimezone(UTC) == datetime(
        2026, 10, 25, 22, 0, tzinfo=UTC
    )
    # Office hours across the spring change: 08:00 is 08:00 on both sides.
    friday = local(2026, 3, 27, 16, 0)
    due = office().due_at(friday, timedelta(minutes=120))
    assert due == local(2026, 3, 30, 9, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert friday.astimezone(UTC) == datetime(2026, 3, 27, 15, 0, tzinfo=UTC)


def test_hours_until_midnight_run_on_into_the_next_day() -> None:
    evenings = Calendar(
        "Europe/Stockholm",
        (OpeningHours(Weekday.MONDAY, 20 * 60, 24 * 60), OpeningHours(Weekday.TUESDAY, 0, 120)),
    )
    assert evenings.due_at(local(2026, 11, 30, 23, 0), timedelta(minutes=120)) == local(
        2026, 12, 1, 1, 0
    )
    assert evenings.due_at(local(2026, 11, 30, 23, 0), timedelta(minutes=60)) == local(
        2026, 12, 1, 0, 0
    )


async def test_admin_saves_a_calendar_and_asks_it_for_due_times(api: Api) -> None:
    tenant = await api.new_tenant()
    hours = [{"weekday": d.name, "start": "08:00", "end": "17:00"} for d in WEEKDAYS]
    saved = await api.data(
        SAVE,
        {
            "input": {
                "name": "Kontoret",
                "timezone": "Europe/Stockholm",
                "hours": [*hours, {"weekday": "SATURDAY", "start": "10:00", "end": "24:00"}],
                "holidays": ["2026-12-01", "2026-11-30", "2026-12-01"],
                "useSwedishPublicHolidays": True,
            }
        },
        tenant.admin_token,
    )
    payload = saved["saveBusinessCalendar"]
    assert payload["userErrors"] == []
    calendar = payload["businessCalendar"]
    assert calendar["hours"][-1] == {"weekday": "SATURDAY", "start": "10:00", "end": "24:00"}
    assert calendar["holidays"] == ["2026-11-30", "2026-12-01"]
    listed = await api.data(CALENDARS, token=tenant.admin_token)
    assert listed["businessCalendars"] == [{"id": calendar["id"], "name": "Kontoret"}]

    async def due(start: str, minutes: int) -> str:
        data = await api.data(
            DUE_AT,
            {"id": calendar["id"], "start": start, "minutes": minutes},
            tenant.admin_token,
        )
        found: str = data["node"]["dueAt"]
        return found

    # Friday 16:00 CET + 2 h: an hour on Friday, an hour from Saturday 10:00.
    assert await due("2026-11-27T15:00:00+00:00", 120) == "2026-11-28T10:00:00+00:00"
    # Saturday 23:30 + 1 h: Monday 30 November and Tuesday 1 December are holidays.
    assert await due("2026-11-28T22:30:00+00:00", 60) == "2026-12-02T07:30:00+00:00"
    assert await api.error_codes(
        DUE_AT,
        {"id": calendar["id"], "start": "2026-11-27T15:00:00Z", "minutes": -1},
        tenant.admin_token,
    ) == ["BAD_USER_INPUT"]


async def test_bad_time_zones_and_hours_are_refused_and_nothing_is_saved(api: Api) -> None:
    tenant = await api.new_tenant()
    given = {
        "name": "Fel",
        "timezone": "Europe/Stockholmen",
        "hours": [
            {"weekday": "MONDAY", "start": "08:00", "end": "17:00"},
            {"weekday": "MONDAY", "start": "8:00", "end": "17:00"},
            {"weekday": "TUESDAY", "start": "17:00", "end": "08:00"},
            {"weekday": "WEDNESDAY", "start": "24:00", "end": "24:00"},
            {"weekday": "THURSDAY", "start": "09:00", "end": "09:00"},
            {"weekday": "FRIDAY", "start": "09:60", "end": "24:01"},
        ],
    }
    payload = (await api.data(SAVE, {"input": given}, tenant.admin_token))["saveBusinessCalendar"]
    assert payload["businessCalendar"] is None
    assert sorted((e["field"], e["code"]) for e in payload["userErrors"]) == [
        (["input", "hours", "1"], "INVALID"),
        (["input", "hours", "2"], "INVALID"),
        (["input", "hours", "3"], "INVALID"),
        (["input", "hours", "4"], "INVALID"),
        (["input", "hours", "5"], "INVALID"),
        (["input", "timezone"], "INVALID"),
    ]
    assert (await api.data(CALENDARS, token=tenant.admin_token))["businessCalendars"] == []


async def test_only_admins_save_calendars_and_the_portal_sees_none(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user("Sara")
    given = {"name": "Kontoret", "timezone": "Europe/Stockholm", "hours": []}
    assert await api.error_codes(SAVE, {"input": given}, member["token"]) == ["FORBIDDEN"]
    assert (await api.data(CALENDARS, token=member["token"]))["businessCalendars"] == []
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    assert await api.error_codes(CALENDARS, token=contact["token"]) == ["FORBIDDEN"]

    # Another tenant's calendar: not found, and never listed.
    other = await api.new_tenant()
    theirs = await api.data(SAVE, {"input": given}, other.admin_token)
    their_id = theirs["saveBusinessCalendar"]["businessCalendar"]["id"]
    again = await api.data(SAVE, {"input": {**given, "id": their_id}}, tenant.admin_token)
    assert again["saveBusinessCalendar"]["userErrors"] == [
        {"field": ["input", "id"], "message": "The calendar was not found.", "code": "NOT_FOUND"}
    ]
    found = await api.data(
        DUE_AT, {"id": their_id, "start": "2026-11-27T15:00:00Z", "minutes": 1}, tenant.admin_token
    )
    assert found["node"] is None
