"""Service levels: business calendars, SLA policies and a case's targets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import strawberry

from db import models
from domain import validation
from domain.business_time import Weekday, clock
from domain.sla.calendars import calendar_of, hours_of
from domain.sla.case_targets import SlaTarget, breaches
from graph.errors import bad_input
from graph.ids import to_global_id
from graph.types.base import Node
from graph.types.settings import CasePriority, CaseType

strawberry.enum(Weekday, name="Weekday")
strawberry.enum(SlaTarget, name="SlaTarget")

# The most business time `dueAt` adds: ten years of minutes.
MAX_DUE_MINUTES = 10 * 366 * 24 * 60


@strawberry.type(description='A weekday\'s range of business time, "08:00".."24:00", local.')
class BusinessHours:
    weekday: Weekday
    start: str
    end: str


@strawberry.type(description="When business time runs: weekly hours in a time zone, less holidays.")
class BusinessCalendar(Node):
    name: str
    timezone: str = strawberry.field(description="An IANA time zone, e.g. Europe/Stockholm.")
    hours: list[BusinessHours]
    holidays: list[date]
    use_swedish_public_holidays: bool = strawberry.field(
        description="Also closed on allmänna helgdagar and midsommar-, jul- and nyårsafton."
    )
    row: strawberry.Private[models.BusinessCalendar]

    @strawberry.field(description="`start` plus `minutes` of business time.")
    def due_at(self, start: datetime, minutes: int) -> datetime:
        moment = validation.utc(start)
        if moment is None:
            raise bad_input("`start` must fall within the years 1-9999 in UTC.")
        if not 0 <= minutes <= MAX_DUE_MINUTES:
            raise bad_input(f"`minutes` must be between 0 and {MAX_DUE_MINUTES}.")
        try:
            return calendar_of(self.row).due_at(moment, timedelta(minutes=minutes))
        except OverflowError as error:
            raise bad_input("The due time lies beyond what can be counted.") from error

    @classmethod
    def from_row(cls, row: models.BusinessCalendar) -> BusinessCalendar:
        return cls(
            id=strawberry.ID(to_global_id("BusinessCalendar", row.id)),
            row=row,
            name=row.name,
            timezone=row.timezone,
            hours=[
                BusinessHours(weekday=h.weekday, start=clock(h.start), end=clock(h.end))
                for h in hours_of(row)
            ],
            holidays=[date.fromisoformat(d) for d in row.holidays or []],
            use_swedish_public_holidays=row.use_swedish_public_holidays,
        )


@strawberry.type(description="Targets for the cases of some priorities and types.")
class SlaPolicy(Node):
    name: str
    first_response_minutes: int | None = strawberry.field(description="In business minutes.")
    resolution_minutes: int | None = strawberry.field(description="In business minutes.")
    active: bool
    row: strawberry.Private[models.SlaPolicy]

    @strawberry.field(description="Empty: any priority.")
    async def priorities(self, info: strawberry.Info) -> list[CasePriority]:
        loader = info.context.scope.loaders.by_id(models.CasePriority)
        rows = await loader.load_many(self.row.priority_ids)
        return [CasePriority.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="Empty: any type.")
    async def types(self, info: strawberry.Info) -> list[CaseType]:
        rows = await info.context.scope.loaders.by_id(models.CaseType).load_many(self.row.type_ids)
        return [CaseType.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="Null: business time is all time.")
    async def calendar(self, info: strawberry.Info) -> BusinessCalendar | None:
        pk = self.row.calendar_id
        loader = info.context.scope.loaders.by_id(models.BusinessCalendar)
        row = await loader.load(pk) if pk is not None else None
        return BusinessCalendar.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: models.SlaPolicy) -> SlaPolicy:
        return cls(
            id=strawberry.ID(to_global_id("SlaPolicy", row.id)),
            row=row,
            name=row.name,
            first_response_minutes=row.first_response_minutes,
            resolution_minutes=row.resolution_minutes,
            active=row.active,
        )


@strawberry.type(description="A case's service level under its policy.")
class CaseSla:
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_responded_at: datetime | None = strawberry.field(
        description="The first message to the customer."
    )
    resolved_at: datetime | None = strawberry.field(
        description="Entering a closed status; a reopening clears it."
    )
    breaches: list[SlaTarget] = strawberry.field(description="The targets not met when due.")
    policy_pk: strawberry.Private[int]

    @strawberry.field
    async def policy(self, info: strawberry.Info) -> SlaPolicy:
        row = await info.context.scope.loaders.by_id(models.SlaPolicy).load(self.policy_pk)
        assert row is not None, "a case's policy is a foreign key"
        return SlaPolicy.from_row(row)

    @classmethod
    def maybe(cls, case: models.Case, now: datetime) -> CaseSla | None:
        if case.sla_policy_id is None:
            return None
        return cls(
            policy_pk=case.sla_policy_id,
            first_response_due_at=case.sla_first_response_due_at,
            resolution_due_at=case.sla_resolution_due_at,
            first_responded_at=case.sla_first_responded_at,
            resolved_at=case.sla_resolved_at,
            breaches=breaches(case, now),
        )
