"""The demo tenant's service levels and integration: SLA policies on the office's business
calendar, an inspection report on a case, and a webhook to the property system (paused)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CasePriority, CaseType, User, Webhook, utcnow
from domain.attachments import add_attachments
from domain.business_time import Weekday
from domain.signin import staff_viewer
from domain.sla.saving import CalendarInput, HoursInput, PolicyInput, save_calendar, save_policy
from domain.webhooks import GENERATED_SECRET_BYTES, WebhookEvent
from workcloud.demo_files import DemoFiles

OFFICE_CALENDAR = "Kontorstid Göteborg"
OFFICE_TIMEZONE = "Europe/Stockholm"
OFFICE_OPENS, OFFICE_CLOSES = "07:00", "16:00"
WORKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
POLICIES = [
    # name, priority, type, first response and resolution minutes, on office hours
    ("Akut jour", "Akut", None, 30, 8 * 60, False),
    ("Felanmälan", None, "Felanmälan", 4 * 60, 2 * 9 * 60, True),
    ("Standard", None, None, 9 * 60, 5 * 9 * 60, True),
]
INSPECTION_TITLE = "OVK-besiktning"
# An example host where the tenant would have a URL of its own. Inactive, it sends nothing;
# written as a row, as saving one resolves its host, which an example host does not.
WEBHOOK_URL = "https://fastighetssystem.example.se/workcloud/webhooks"
WEBHOOK_EVENTS = (
    WebhookEvent.CASE_REGISTERED,
    WebhookEvent.CASE_UPDATED,
    WebhookEvent.CUSTOMER_MESSAGE_RECEIVED,
    WebhookEvent.SLA_BREACHED,
)


def staff_day_out(year: int) -> date:
    """The office's own day off besides the public holidays: the last Friday of August."""
    last = date(year, 8, 31)
    return last - timedelta(days=(last.weekday() - Weekday.FRIDAY) % 7)


async def create_demo_service(session: AsyncSession, files: DemoFiles) -> None:
    """After the cases: saving the policies gives the open ones their due times."""
    this_year = utcnow().year
    calendar = await save_calendar(
        session,
        CalendarInput(
            id=None,
            name=OFFICE_CALENDAR,
            timezone=OFFICE_TIMEZONE,
            hours=[HoursInput(day, OFFICE_OPENS, OFFICE_CLOSES) for day in WORKDAYS],
            holidays=[staff_day_out(this_year), staff_day_out(this_year + 1)],
            use_swedish_public_holidays=True,
        ),
    )
    priorities = {p.name: p.id for p in await session.scalars(select(CasePriority))}
    types = {t.name: t.id for t in await session.scalars(select(CaseType))}
    for name, priority, type_name, first_response, resolution, office_hours in POLICIES:
        await save_policy(
            session,
            PolicyInput(
                id=None,
                name=name,
                priority_ids=[priorities[priority]] if priority else [],
                type_ids=[types[type_name]] if type_name else [],
                first_response_minutes=first_response,
                resolution_minutes=resolution,
                calendar_id=calendar.id if office_hours else None,
            ),
        )
    await _attach_inspection_report(session, files)
    session.add(
        Webhook(
            url=WEBHOOK_URL,
            events=[event.value for event in WEBHOOK_EVENTS],
            active=False,
            secret=secrets.token_urlsafe(GENERATED_SECRET_BYTES),
        )
    )
    await session.flush()


async def _attach_inspection_report(session: AsyncSession, files: DemoFiles) -> None:
    """The latest inspection's report, attached by whoever registered it."""
    inspection = await session.scalar(
        select(Case)
        .where(Case.title == INSPECTION_TITLE, Case.merged_into_id.is_(None))
        .order_by(Case.created_at.desc())
        .limit(1)
    )
    assert inspection is not None and inspection.created_by_id is not None
    inspector = await session.get(User, inspection.created_by_id)
    assert inspector is not None
    viewer = staff_viewer(inspector, token_id=0)
    await add_attachments(session, viewer, inspection.id, None, [files.inspection_report])
