"""Service levels: staff read the calendars and policies, administrators save them."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.business_time import Weekday
from domain.sla import saving
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.sla import BusinessCalendar, SlaPolicy

Info = strawberry.Info[Context, None]


@strawberry.input(description='A weekday\'s range, "HH:MM" to "HH:MM" ("24:00" as its end).')
class BusinessHoursInput:
    weekday: Weekday
    start: str
    end: str


@strawberry.input(description="Without an id a new calendar; with one, that calendar saved whole.")
class SaveBusinessCalendarInput:
    id: strawberry.ID | None = None
    name: str
    timezone: str
    hours: list[BusinessHoursInput] = strawberry.field(description="Empty: every hour.")
    holidays: list[date] | None = None
    use_swedish_public_holidays: bool | None = None


@strawberry.type
class SaveBusinessCalendarPayload:
    business_calendar: BusinessCalendar | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Without an id a new policy; with one, that policy saved whole.")
class SaveSlaPolicyInput:
    id: strawberry.ID | None = None
    name: str
    priority_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Empty: any priority."
    )
    type_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Empty: any type."
    )
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    calendar_id: strawberry.ID | None = strawberry.field(
        default=None, description="None: business time is all time."
    )
    active: bool | None = None


@strawberry.type
class SaveSlaPolicyPayload:
    sla_policy: SlaPolicy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _pks(given: list[strawberry.ID] | None, type_name: str) -> list[int]:
    """Our primary keys; an id that names none of ours is 0, which names no row."""
    return [our_pk(g, type_name) or 0 for g in given or ()]


def _pk(given: strawberry.ID | None, type_name: str) -> int | None:
    return None if given is None else our_pk(given, type_name) or 0


@strawberry.type
class SlaQuery:
    @strawberry.field(description="My tenant's SLA policies, by name.")
    async def sla_policies(self, info: Info) -> list[SlaPolicy]:
        info.context.staff()
        rows: list[models.SlaPolicy] = await info.context.scope.read(saving.policies_of)
        return [SlaPolicy.from_row(r) for r in rows]

    @strawberry.field(description="My tenant's business calendars, by name.")
    async def business_calendars(self, info: Info) -> list[BusinessCalendar]:
        info.context.staff()
        rows: list[models.BusinessCalendar] = await info.context.scope.read(saving.calendars_of)
        return [BusinessCalendar.from_row(r) for r in rows]


@strawberry.type
class SlaMutation:
    @strawberry.mutation(
        description="Admin: a business calendar; open cases counting by it follow."
    )
    async def save_business_calendar(
        self, info: Info, input: SaveBusinessCalendarInput
    ) -> SaveBusinessCalendarPayload:
        given = saving.CalendarInput(
            id=_pk(input.id, "BusinessCalendar"),
            name=input.name,
            timezone=input.timezone,
            hours=[saving.HoursInput(h.weekday, h.start, h.end) for h in input.hours],
            holidays=input.holidays or (),
            use_swedish_public_holidays=bool(input.use_swedish_public_holidays),
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.BusinessCalendar:
            viewer.require_admin()
            return await saving.save_calendar(session, given)

        outcome = await perform(info, work)
        row = BusinessCalendar.from_row(outcome.value) if outcome.value else None
        return SaveBusinessCalendarPayload(business_calendar=row, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: an SLA policy; the open cases it applies to follow.")
    async def save_sla_policy(self, info: Info, input: SaveSlaPolicyInput) -> SaveSlaPolicyPayload:
        given = saving.PolicyInput(
            id=_pk(input.id, "SlaPolicy"),
            name=input.name,
            priority_ids=_pks(input.priority_ids, "CasePriority"),
            type_ids=_pks(input.type_ids, "CaseType"),
            first_response_minutes=input.first_response_minutes,
            resolution_minutes=input.resolution_minutes,
            calendar_id=_pk(input.calendar_id, "BusinessCalendar"),
            active=input.active is not False,
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.SlaPolicy:
            viewer.require_admin()
            return await saving.save_policy(session, given)

        outcome = await perform(info, work)
        row = SlaPolicy.from_row(outcome.value) if outcome.value else None
        return SaveSlaPolicyPayload(sla_policy=row, user_errors=outcome.errors)
