"""Deadline reminders: once when the deadline nears, once when it passes, however many instances run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from db.engine import Database
from db.models import Case, CaseAssignedGroup, Group, GroupMember, Notification
from domain.deadline_reminders import Phase, phase_of, reminder_key, send_due_reminders
from graph.ids import pk_of
from tests.support.client import Api, Tenant
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

    # Two mentions on another case: the subscription replays the second, and is then live.
    other_case = await tenant.create_case()
    for body in ["ett", "två"]:
        await tenant.add_comment(other_case, f"@{sara['handle']} {body}")
    lobby = await api.data(
        "{ viewer { notifications(first: 2) { edges { node { id } } } } }", token=sara["token"]
    )
    older = lobby["viewer"]["notifications"]["edges"][1]["node"]["id"]  # newest first
    notification = "subscription($after: ID) { notificationReceived(after: $after) { kind } }"
    async with api.ws(sara["token"]) as socket:
        await socket.subscribe_live(notification, {"after": older}, replayed={"kind": "MENTION"})
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


async def _pass_at(api: Api, now: datetime) -> tuple[int, int]:
    """One pass as a server runs it: (reminders created, statements it took)."""
    async with api.counting_statements() as counter, api.db.transaction(None) as session:
        created = await send_due_reminders(session, now)
    return created, counter.count


async def test_a_pass_costs_the_same_few_statements_however_many_cases_are_due(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik")
    sara = await tenant.create_user("Sara")
    johan = await tenant.create_user("Johan")
    jour = await tenant.create_group("Jour", [sara["id"], johan["id"]])
    # Ten days ahead, where the servers' own sweeps (run at the real time) leave them be.
    then = datetime.now(UTC) + timedelta(days=10)
    await _case_due(tenant, then + timedelta(minutes=30), erik["id"])
    one = await _pass_at(api, then)

    for i in range(8):
        await _case_due(tenant, then + timedelta(minutes=i), erik["id"])
    grouped = await _case_due(tenant, then - timedelta(hours=1), None)
    async with api.db.transaction(tenant.pk) as session:
        session.add(CaseAssignedGroup(case_id=grouped, group_id=pk_of(jour["id"], "Group")))
    for _ in range(20):  # in the window, but not within the lead
        await _case_due(tenant, then + timedelta(days=3), erik["id"])
    many = await _pass_at(api, then)
    again = await _pass_at(api, then)

    assert one[0] == 1
    assert many[0] == 8 + 2
    assert again[0] == 0
    # What is due and not yet sent (one query), the recipients' streams, one INSERT ... SELECT;
    # on SQLite also BEGIN IMMEDIATE. Nothing due: the query alone.
    assert many[1] == one[1] <= 4, (one, many)
    assert again[1] < one[1]


async def test_reminder_keys_are_those_of_reminders_sent_before(api: Api) -> None:
    """The key is built in SQL now; a reminder sent under the key made in Python stays sent."""
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik")
    erik_pk = pk_of(erik["id"], "User")
    assert erik_pk is not None
    then = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    exact = await _case_due(tenant, then, erik["id"])
    fraction = await _case_due(tenant, then + timedelta(microseconds=5), erik["id"])
    sent_before = await _case_due(tenant, then + timedelta(minutes=1, microseconds=120), erik["id"])
    async with api.db.transaction(None) as session:
        session.add(
            Notification(
                tenant_id=tenant.pk,
                recipient_id=erik_pk,
                kind="DEADLINE_REMINDER",
                case_id=sent_before,
                dedupe_key=reminder_key(
                    sent_before,
                    then + timedelta(minutes=1, microseconds=120),
                    Phase.DUE_SOON,
                    erik_pk,
                ),
            )
        )

    created, _statements = await _pass_at(api, then - timedelta(minutes=10))
    assert created == 2
    assert await _reminders(api, exact) == [
        (erik_pk, reminder_key(exact, then, Phase.DUE_SOON, erik_pk))
    ]
    assert await _reminders(api, fraction) == [
        (erik_pk, reminder_key(fraction, then + timedelta(microseconds=5), Phase.DUE_SOON, erik_pk))
    ]
    assert len(await _reminders(api, sent_before)) == 1


LOBBY = """{ viewer { notifications { edges { node {
  kind reminderPhase case { title } } } } } }"""


async def test_a_reminder_says_whether_it_comes_before_the_deadline_or_at_it(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik", handle="erik")
    now = datetime.now(UTC)
    await tenant.register_case(
        title="Byt filter",
        responsibleId=erik["id"],
        deadline=(now + timedelta(minutes=20)).isoformat(),
    )
    await tenant.register_case(
        title="Redan sen",
        responsibleId=erik["id"],
        deadline=(now - timedelta(minutes=5)).isoformat(),
    )
    async with api.db.transaction(None) as session:
        await send_due_reminders(session, now)
    # Other kinds have no phase.
    case = await tenant.register_case(title="Nämnd")
    await api.data(
        'mutation($c: ID!) { addComment(input: {caseId: $c, body: "@erik titta"}) '
        "{ userErrors { code } } }",
        {"c": case["id"]},
        tenant.admin_token,
    )

    def seen(data: dict[str, Any]) -> list[tuple[str, str | None, str]]:
        nodes = [e["node"] for e in data["viewer"]["notifications"]["edges"]]
        return [(n["kind"], n["reminderPhase"], n["case"]["title"]) for n in nodes]

    mention, *reminders = seen(await api.data(LOBBY, token=erik["token"]))
    assert mention == ("MENTION", None, "Nämnd")
    # Made in one pass, the two reminders come in either order.
    assert sorted(reminders) == [
        ("DEADLINE_REMINDER", "BEFORE", "Byt filter"),
        ("DEADLINE_REMINDER", "DUE", "Redan sen"),
    ]

    # When the first deadline passes, the reminder at it follows.
    async with api.db.transaction(None) as session:
        await send_due_reminders(session, now + timedelta(minutes=25))
    latest = seen(await api.data(LOBBY, token=erik["token"]))[0]
    assert latest == ("DEADLINE_REMINDER", "DUE", "Byt filter")
