"""SLA policies: the policy a case takes, its due times, first response, resolution, reopening,
warnings and breaches once however many sweeps race, and the table view's order and filter."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bus.event_bus import EventBus
from db.engine import Database
from db.models import Case, Notification
from domain.sla.alerts import send_due_alerts
from graph.ids import pk_of
from tests.support.client import Api, Tenant

SAVE_POLICY = """mutation($input: SaveSlaPolicyInput!) { saveSlaPolicy(input: $input) {
  slaPolicy { id name priorities { name } types { name } firstResponseMinutes resolutionMinutes
              calendar { id } active }
  userErrors { field message code } } }"""
SAVE_CALENDAR = """mutation($input: SaveBusinessCalendarInput!) { saveBusinessCalendar(input: $input) {
  businessCalendar { id } userErrors { field message code } } }"""
SLA = """query($id: ID!) { case(id: $id) { createdAt updatedAt sla {
  policy { name } firstResponseDueAt resolutionDueAt firstRespondedAt resolvedAt breaches } } }"""
UPDATE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id } userErrors { field message code } } }"""
SEND = """mutation($input: SendCustomerMessageInput!) { sendCustomerMessage(input: $input) {
  message { createdAt } userErrors { field message code } } }"""
CASES = """query($filter: CaseFilter, $orderBy: [CaseOrder!]) {
  cases(filter: $filter, orderBy: $orderBy, first: 50) { edges { node { id title } } } }"""
LOBBY = """{ viewer { notifications(first: 20) { edges { node {
  id kind slaTarget reminderPhase case { id } } } } } }"""


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def save_policy(tenant: Tenant, **given: Any) -> dict[str, Any]:
    data = await tenant.api.data(SAVE_POLICY, {"input": given}, tenant.admin_token)
    payload: dict[str, Any] = data["saveSlaPolicy"]
    assert payload["userErrors"] == [], payload
    policy: dict[str, Any] = payload["slaPolicy"]
    return policy


async def sla_of(api: Api, tenant: Tenant, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(SLA, {"id": case_id}, tenant.admin_token))["case"]
    return found


async def update_case(tenant: Tenant, **given: Any) -> None:
    data = await tenant.api.data(UPDATE, {"input": given}, tenant.admin_token)
    assert data["updateCase"]["userErrors"] == [], data


async def sweep(db: Database, bus: EventBus, now: datetime) -> int:
    async with bus.publishing(db, None) as session:
        return await send_due_alerts(session, now)


async def test_a_case_takes_the_most_specific_active_policy(api: Api) -> None:
    tenant = await api.new_tenant()
    options = await tenant.options()
    high, fault, service = (
        options["priorities"]["Hög"],
        options["types"]["Felanmälan"],
        options["types"]["Service"],
    )
    await save_policy(tenant, name="Alla", firstResponseMinutes=240, resolutionMinutes=2400)
    await save_policy(tenant, name="Hög", priorityIds=[high], firstResponseMinutes=60)
    await save_policy(tenant, name="Hög, senare", priorityIds=[high], firstResponseMinutes=5)
    await save_policy(
        tenant, name="Hög felanmälan", priorityIds=[high], typeIds=[fault], firstResponseMinutes=15
    )
    await save_policy(
        tenant,
        name="Avstängd",
        priorityIds=[high],
        typeIds=[fault],
        firstResponseMinutes=1,
        active=False,
    )
    listed = await api.data("{ slaPolicies { name } }", token=tenant.admin_token)
    assert [p["name"] for p in listed["slaPolicies"]] == [
        "Alla",
        "Avstängd",
        "Hög",
        "Hög felanmälan",
        "Hög, senare",
    ]

    both = await tenant.register_case(priorityId=high, typeId=fault)
    found = await sla_of(api, tenant, both["id"])
    assert found["sla"]["policy"] == {"name": "Hög felanmälan"}
    created = moment(found["createdAt"])
    assert moment(found["sla"]["firstResponseDueAt"]) == created + timedelta(minutes=15)
    assert found["sla"]["resolutionDueAt"] is None
    assert found["sla"]["breaches"] == []

    normal = await tenant.register_case(typeId=service)
    found = await sla_of(api, tenant, normal["id"])
    assert found["sla"]["policy"] == {"name": "Alla"}
    assert moment(found["sla"]["resolutionDueAt"]) == created_at(found) + timedelta(hours=40)

    # A priority change: the oldest of the two equally specific ones, due from createdAt.
    await update_case(tenant, id=normal["id"], priorityId=high)
    found = await sla_of(api, tenant, normal["id"])
    assert found["sla"]["policy"] == {"name": "Hög"}
    assert moment(found["sla"]["firstResponseDueAt"]) == created_at(found) + timedelta(hours=1)


def created_at(found: dict[str, Any]) -> datetime:
    return moment(found["createdAt"])


async def test_first_response_resolution_and_reopening(api: Api) -> None:
    tenant = await api.new_tenant()
    options = await tenant.options()
    await save_policy(tenant, name="Standard", firstResponseMinutes=60, resolutionMinutes=480)
    customer = await tenant.create_customer()
    contact = await tenant.create_contact(customer["id"], email="karin@kund.example.se")
    case = await tenant.register_case(
        customerId=customer["id"], contactId=contact["id"], visibleInPortal=True
    )
    assert (await sla_of(api, tenant, case["id"]))["sla"]["firstRespondedAt"] is None

    sent = []
    for body in ["Vi tittar på det.", "En tekniker kommer i morgon."]:
        data = await api.data(
            SEND, {"input": {"caseId": case["id"], "body": body}}, tenant.admin_token
        )
        assert data["sendCustomerMessage"]["userErrors"] == []
        sent.append(data["sendCustomerMessage"]["message"]["createdAt"])
    found = await sla_of(api, tenant, case["id"])
    assert found["sla"]["firstRespondedAt"] == sent[0]

    await update_case(tenant, id=case["id"], statusId=options["statuses"]["Avslutad"])
    closed = await sla_of(api, tenant, case["id"])
    assert closed["sla"]["resolvedAt"] == closed["updatedAt"]
    assert closed["sla"]["breaches"] == []
    await asyncio.sleep(1.2)

    await update_case(tenant, id=case["id"], statusId=options["statuses"]["Pågående"])
    reopened = await sla_of(api, tenant, case["id"])
    assert reopened["sla"]["resolvedAt"] is None
    # Delayed by the time spent closed (all time is business time without a calendar).
    closed_for = moment(reopened["updatedAt"]) - moment(closed["sla"]["resolvedAt"])
    delay = moment(reopened["sla"]["resolutionDueAt"]) - moment(closed["sla"]["resolutionDueAt"])
    assert timedelta(seconds=1) <= delay <= closed_for < delay + timedelta(seconds=1)
    assert reopened["sla"]["firstResponseDueAt"] == closed["sla"]["firstResponseDueAt"]


async def test_breaches_order_and_filter_the_table_view(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_contact(customer["id"], email="ola@kund.example.se")
    options = await tenant.options()
    ids = {}
    for title in ["Sen", "Besvarad sent", "I tid", "Utan policy"]:
        case = await tenant.register_case(
            title=title,
            customerId=customer["id"],
            contactId=contact["id"],
            visibleInPortal=True,
            priorityId=options["priorities"]["Låg" if title == "Utan policy" else "Normal"],
        )
        ids[title] = case["id"]
    # Registered long ago: a policy saved now counts from then.
    hours_ago = {"Sen": 3, "Besvarad sent": 2, "I tid": 0}
    async with api.db.transaction(tenant.pk) as session:
        for title, hours in hours_ago.items():
            row = await session.get(Case, pk_of(ids[title], "Case"))
            assert row is not None
            row.created_at -= timedelta(hours=hours)
    await api.data(
        SEND, {"input": {"caseId": ids["Besvarad sent"], "body": "Hej"}}, tenant.admin_token
    )
    await save_policy(
        tenant,
        name="Snabb",
        priorityIds=[options["priorities"]["Normal"]],
        firstResponseMinutes=60,
        resolutionMinutes=600,
    )

    late = await sla_of(api, tenant, ids["Sen"])
    assert late["sla"]["breaches"] == ["FIRST_RESPONSE"]
    answered = await sla_of(api, tenant, ids["Besvarad sent"])
    assert answered["sla"]["breaches"] == ["FIRST_RESPONSE"]
    assert (await sla_of(api, tenant, ids["I tid"]))["sla"]["breaches"] == []
    assert (await sla_of(api, tenant, ids["Utan policy"]))["sla"] is None

    async def titles(**variables: Any) -> list[str]:
        data = await api.data(CASES, variables, tenant.admin_token)
        return [e["node"]["title"] for e in data["cases"]["edges"]]

    assert sorted(await titles(filter={"slaBreached": True})) == ["Besvarad sent", "Sen"]
    assert sorted(await titles(filter={"slaBreached": False})) == ["I tid", "Utan policy"]
    # Earliest unmet due time first: Sen's first response (3 h ago + 1 h), then the
    # resolution of the answered one (2 h ago + 10 h), then I tid's first response; none last.
    order = [{"field": "SLA_DUE", "direction": "ASC"}]
    assert await titles(orderBy=order) == ["Sen", "I tid", "Besvarad sent", "Utan policy"]
    descending = [{"field": "SLA_DUE", "direction": "DESC"}]
    assert await titles(orderBy=descending) == ["Besvarad sent", "I tid", "Sen", "Utan policy"]


async def _recipients(api: Api, case_pk: int) -> list[tuple[str, str | None]]:
    async with api.db.session(None) as session:
        rows = await session.execute(
            select(Notification.kind, Notification.dedupe_key)
            .where(Notification.case_id == case_pk, Notification.kind.like("SLA_%"))
            .order_by(Notification.id)
        )
        return [(kind, key.split("/")[1] if key else None) for kind, key in rows.all()]


async def test_warnings_and_breaches_are_sent_once_however_many_sweeps_race(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik")
    await save_policy(tenant, name="Standard", firstResponseMinutes=60, resolutionMinutes=120)
    case = await tenant.register_case(responsibleId=erik["id"])
    untouched = await tenant.register_case()  # nobody to tell: claimed all the same
    created = created_at(await sla_of(api, tenant, case["id"]))
    case_pk = pk_of(case["id"], "Case")
    assert case_pk is not None

    other = Database(api.db.url)
    try:

        async def race(after: timedelta) -> None:
            now = created + after
            for _ in range(2):
                await asyncio.gather(
                    sweep(api.db, api.services.bus, now),
                    sweep(other, api.services.bus, now),
                    sweep(other, api.services.bus, now),
                )

        await race(timedelta(minutes=47))
        assert await _recipients(api, case_pk) == []
        # Two mentions: the subscription replays the second, and is then live.
        for body in ["ett", "två"]:
            await tenant.add_comment(untouched["id"], f"@{erik['handle']} {body}")
        lobby = await api.data(LOBBY, token=erik["token"])
        older = lobby["viewer"]["notifications"]["edges"][1]["node"]["id"]
        async with api.ws(erik["token"]) as socket:
            await socket.subscribe_live(
                """subscription($after: ID) { notificationReceived(after: $after) {
                     kind slaTarget case { id } } }""",
                {"after": older},
                replayed={"kind": "MENTION", "slaTarget": None},
            )
            await race(timedelta(minutes=49))  # 80 % of the first response's hour
            message = await socket.receive()
            assert message["payload"]["data"]["notificationReceived"] == {
                "kind": "SLA_WARNING",
                "slaTarget": "FIRST_RESPONSE",
                "case": {"id": case["id"]},
            }
            await socket.assert_quiet()
        await race(timedelta(minutes=61))
        await race(timedelta(minutes=97))
        await race(timedelta(minutes=121))
        await race(timedelta(minutes=200))
    finally:
        await other.dispose()

    assert await _recipients(api, case_pk) == [
        ("SLA_WARNING", "FIRST_RESPONSE"),
        ("SLA_BREACHED", "FIRST_RESPONSE"),
        ("SLA_WARNING", "RESOLUTION"),
        ("SLA_BREACHED", "RESOLUTION"),
    ]
    lobby = await api.data(LOBBY, token=erik["token"])
    told = [n["node"] for n in lobby["viewer"]["notifications"]["edges"]]
    told = [n for n in told if n["kind"] != "MENTION"]
    assert [(n["kind"], n["slaTarget"]) for n in told] == [
        ("SLA_BREACHED", "RESOLUTION"),
        ("SLA_WARNING", "RESOLUTION"),
        ("SLA_BREACHED", "FIRST_RESPONSE"),
        ("SLA_WARNING", "FIRST_RESPONSE"),
    ]
    assert {n["reminderPhase"] for n in told} == {None}
    assert {n["case"]["id"] for n in told} == {case["id"]}
    untouched_sla = await sla_of(api, tenant, untouched["id"])
    assert untouched_sla["sla"]["breaches"] == []  # real time: not due yet


async def test_a_met_target_and_a_closed_case_are_not_told(api: Api) -> None:
    tenant = await api.new_tenant()
    options = await tenant.options()
    erik = await tenant.create_user("Erik")
    await save_policy(tenant, name="Standard", firstResponseMinutes=60, resolutionMinutes=120)
    case = await tenant.register_case(responsibleId=erik["id"])
    created = created_at(await sla_of(api, tenant, case["id"]))
    await update_case(tenant, id=case["id"], statusId=options["statuses"]["Avslutad"])
    await sweep(api.db, api.services.bus, created + timedelta(hours=5))
    case_pk = pk_of(case["id"], "Case")
    assert case_pk is not None
    assert await _recipients(api, case_pk) == []


async def test_saving_a_calendar_recomputes_the_due_times_of_open_cases(api: Api) -> None:
    tenant = await api.new_tenant()
    office = [
        {"weekday": day, "start": "08:00", "end": "17:00"}
        for day in ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    ]
    calendar = {"name": "Kontoret", "timezone": "Europe/Stockholm", "hours": office}
    saved = await api.data(SAVE_CALENDAR, {"input": calendar}, tenant.admin_token)
    calendar_id = saved["saveBusinessCalendar"]["businessCalendar"]["id"]
    policy = await save_policy(
        tenant, name="Kontorstid", firstResponseMinutes=600, calendarId=calendar_id
    )
    assert policy["calendar"] == {"id": calendar_id}
    case = await tenant.register_case()
    found = await sla_of(api, tenant, case["id"])

    async def due_at(minutes: int) -> str:
        data = await api.data(
            """query($id: ID!, $start: DateTime!, $m: Int!) { node(id: $id) {
                 ... on BusinessCalendar { dueAt(start: $start, minutes: $m) } } }""",
            {"id": calendar_id, "start": found["createdAt"], "m": minutes},
            tenant.admin_token,
        )
        due: str = data["node"]["dueAt"]
        return due

    # Ten business hours: more than a business day, so never the same as all time.
    assert found["sla"]["firstResponseDueAt"] == await due_at(600)
    assert moment(found["sla"]["firstResponseDueAt"]) > created_at(found) + timedelta(hours=10)

    every_hour = {**calendar, "id": calendar_id, "hours": []}
    again = await api.data(SAVE_CALENDAR, {"input": every_hour}, tenant.admin_token)
    assert again["saveBusinessCalendar"]["userErrors"] == []
    found = await sla_of(api, tenant, case["id"])
    assert moment(found["sla"]["firstResponseDueAt"]) == created_at(found) + timedelta(hours=10)


async def test_refusals(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant()
    member = await tenant.create_user("Sara")
    given = {"name": "Standard", "firstResponseMinutes": 60}
    assert await api.error_codes(SAVE_POLICY, {"input": given}, member["token"]) == ["FORBIDDEN"]
    assert (await api.data("{ slaPolicies { id } }", token=member["token"]))["slaPolicies"] == []
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    assert await api.error_codes("{ slaPolicies { id } }", token=contact["token"]) == ["FORBIDDEN"]

    theirs = await save_policy(other, name="Deras", firstResponseMinutes=30)
    their_options = await other.options()
    their_calendar = await api.data(
        SAVE_CALENDAR,
        {"input": {"name": "Deras", "timezone": "Europe/Stockholm", "hours": []}},
        other.admin_token,
    )
    bad = {
        "id": theirs["id"],
        "name": " ",
        "priorityIds": [their_options["priorities"]["Hög"]],
        "typeIds": ["not-an-id"],
        "firstResponseMinutes": 0,
        "resolutionMinutes": -5,
        "calendarId": their_calendar["saveBusinessCalendar"]["businessCalendar"]["id"],
    }
    data = await api.data(SAVE_POLICY, {"input": bad}, tenant.admin_token)
    assert data["saveSlaPolicy"]["slaPolicy"] is None
    assert sorted((e["field"][1], e["code"]) for e in data["saveSlaPolicy"]["userErrors"]) == [
        ("calendarId", "NOT_FOUND"),
        ("firstResponseMinutes", "INVALID"),
        ("id", "NOT_FOUND"),
        ("name", "REQUIRED"),
        ("priorityIds", "NOT_FOUND"),
        ("resolutionMinutes", "INVALID"),
        ("typeIds", "NOT_FOUND"),
    ]
    assert (await api.data("{ slaPolicies { id } }", token=tenant.admin_token))["slaPolicies"] == []
    node = await api.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": theirs["id"]}, tenant.admin_token
    )
    assert node["node"] is None
    # Their policy is as it was.
    listed = await api.data("{ slaPolicies { id name } }", token=other.admin_token)
    assert listed["slaPolicies"] == [{"id": theirs["id"], "name": "Deras"}]


async def _sweep_at(api: Api, now: datetime) -> tuple[int, int]:
    """One sweep as a server runs it: (alerts claimed, statements it took)."""
    async with api.counting_statements() as counter, api.db.transaction(None) as session:
        claimed = await send_due_alerts(session, now)
    return claimed, counter.count


async def test_a_sweep_costs_the_same_few_statements_however_many_cases_are_due(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik")
    sara = await tenant.create_user("Sara")
    jour = await tenant.create_group("Jour", [sara["id"], erik["id"]])
    await save_policy(tenant, name="Standard", firstResponseMinutes=60)
    first = await tenant.register_case(responsibleId=erik["id"])
    then = created_at(await sla_of(api, tenant, first["id"])) + timedelta(hours=1, minutes=1)
    one = await _sweep_at(api, then)
    for i in range(10):
        given = {"responsibleId": erik["id"]} if i % 2 else {"assignedGroupIds": [jour["id"]]}
        await tenant.register_case(**given)
    many = await _sweep_at(api, then + timedelta(seconds=30))
    again = await _sweep_at(api, then + timedelta(seconds=30))
    assert one[0] >= 1 and many[0] >= 10 and again[0] == 0
    # Due and not claimed (one query), the claim, the recipients, their streams (PostgreSQL),
    # the notifications, the breached cases; on SQLite also BEGIN IMMEDIATE. A breach is a
    # change of its case: the cases' state before and after, the feed's stream (PostgreSQL)
    # and its rows.
    assert many[1] == one[1] <= 11, (one, many)
    assert again[1] < one[1]
