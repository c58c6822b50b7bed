"""Deadline reminders: once when the deadline nears, once when it passes, however many instances run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from db.engine import Database
from db.models import Case, CaseAssignedGroup, Group, GroupMember, Notification
from domain.deadline_reminders import Phase, phase_of, send_due_reminders
from graph.ids import pk_of
from tests.client import Api, Tenant
from workcloud.scheduler import remind_once

LEAD = timedelta(minutes=60)


def test_phases() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert phase_of(now + timedelta(hours=3), LEAD, now) is None
    assert phase_of(now + timedelta(minutes=30), LEAD, now) is Phase.DUE_SOON
    assert phase_of(now - timedelta(minutes=1), LEAD, now) is Phase.OVERDUE
    assert phase_of(now - timedelta(days=30), LEAD, now) is None


async def _case_due(tenant: Tenant, deadline: datetime, responsible: str | None) -> int:
    case_pk = pk_of(await tenant.create_case("Byt filter"), "Case")
    assert case_pk is not None
    async with tenant.api.db.transaction(tenant.pk) as session:
        case = await session.get(Case, case_pk)
        assert case is not None
        case.deadline = deadline
        case.responsible_id = pk_of(responsible, "User") if responsible else None
    return case_pk


async def _reminders(api: Api, case_pk: int) -> list[tuple[int, str | None]]:
    async with api.db.session(None) as session:
        rows = await session.execute(
            select(Notification.recipient_id, Notification.dedupe_key)
            .where(Notification.case_id == case_pk, Notification.kind == "DEADLINE_REMINDER")
            .order_by(Notification.id)
        )
        return [(r, k) for r, k in rows.all()]


async def test_two_instances_racing_create_each_reminder_once(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik")
    now = datetime.now(UTC)
    soon = await _case_due(tenant, now + timedelta(minutes=20), erik["id"])
    late = await _case_due(tenant, now - timedelta(minutes=5), erik["id"])
    later = await _case_due(tenant, now + timedelta(days=3), erik["id"])

    # A second instance: its own engine and pool on the same database.
    other = Database(api.db.url)
    try:
        for _ in range(3):
            await asyncio.gather(
                remind_once(api.db, api.services.bus),
                remind_once(other, api.services.bus),
                remind_once(other, api.services.bus),
            )
    finally:
        await other.dispose()

    erik_pk = pk_of(erik["id"], "User")
    assert [r for r, _ in await _reminders(api, soon)] == [erik_pk]
    assert [r for r, _ in await _reminders(api, late)] == [erik_pk]
    assert await _reminders(api, later) == []

    # When the near deadline passes, the overdue reminder follows, once.
    async with api.db.transaction(None) as session:
        await send_due_reminders(session, now + timedelta(minutes=25))
    async with api.db.transaction(None) as session:
        await send_due_reminders(session, now + timedelta(minutes=26))
    keys = [k or "" for _, k in await _reminders(api, soon)]
    assert [k.split("/")[3] for k in keys] == ["due-soon", "overdue"]


async def test_reminder_without_responsible_goes_to_assigned_group(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara")
    johan = await tenant.create_user("Johan")
    case_pk = await _case_due(tenant, datetime.now(UTC) + timedelta(minutes=10), None)
    async with api.db.transaction(tenant.pk) as session:
        group = Group(name="Jour")
        session.add(group)
        await session.flush()
        for member in (sara, johan):
            session.add(GroupMember(group_id=group.id, user_id=pk_of(member["id"], "User")))
        session.add(CaseAssignedGroup(case_id=case_pk, group_id=group.id))

    notification = "subscription { notificationReceived { kind } }"
    async with api.ws(sara["token"]) as socket:
        await socket.subscribe(notification)
        await asyncio.sleep(0.2)
        await remind_once(api.db, api.services.bus)
        message = await socket.receive()
        assert message["payload"]["data"]["notificationReceived"] == {"kind": "DEADLINE_REMINDER"}

    recipients = {r for r, _ in await _reminders(api, case_pk)}
    assert recipients == {pk_of(sara["id"], "User"), pk_of(johan["id"], "User")}
    async with api.db.session(None) as session:
        total = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.case_id == case_pk)
        )
    assert total == 2
