"""The demo tenant's cases: a few hundred realistic Swedish cases for the table and the map."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Base,
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Customer,
    Group,
    GroupMember,
    Project,
    User,
    utcnow,
)
from domain.cases import options as case_options
from domain.cases.changes import update_case
from domain.cases.event_log import Actor
from domain.cases.registration import register_case
from domain.cases.state import CaseInput
from domain.custom_fields import FieldDefinition, FieldKind

M = TypeVar("M", bound=Base)
CASE_COUNT = 320
TITLES = {
    "Felanmälan": [
        "Läckande kran i tvättstugan",
        "Hissen står stilla mellan plan 3 och 4",
        "Ingen värme i lägenheten",
        "Entréporten går inte i lås",
        "Stopp i avloppet i köket",
        "Ventilationen låter konstigt",
        "Trasig belysning i trapphus B",
        "Vattenläcka under diskbänken",
        "Brandvarnaren piper hela tiden",
        "Fönstret går inte att stänga",
        "Fuktfläck i taket på badrummet",
        "Garageporten fastnar halvvägs",
    ],
    "Service": [
        "Årlig service av ventilationsaggregat",
        "Filterbyte i FTX-aggregat",
        "OVK-besiktning",
        "Service av undercentral",
        "Byte av tätningslister",
        "Kontroll av hissens nödtelefon",
    ],
    "Offert": [
        "Offert på ny entréport",
        "Offert på relining av stammar",
        "Offert på laddstolpar i garaget",
        "Offert på solceller på taket",
    ],
    "Reklamation": [
        "Reklamation: diskmaskinen läcker igen",
        "Reklamation av målningsarbete i trapphuset",
        "Reklamation: golvvärmen fungerar inte",
    ],
    "Internt": [
        "Beställ nya arbetskläder",
        "Uppdatera nyckelregistret",
        "Kalibrera mätinstrumenten",
        "Planera jourschemat inför julen",
    ],
}
DESCRIPTIONS = [
    "Hyresgästen ringde i morse och vill ha besök så snart som möjligt.",
    "Upptäcktes vid rondering. Behöver åtgärdas innan helgen.",
    "Kunden har skickat bilder via e-post. Ta med reservdelar.",
    "Portkod 4711. Nyckel finns i nyckelskåpet på kontoret.",
    None,
]
TASKS = [
    ("Felanmälan standard", ["Kontakta hyresgästen", "Besök på plats", "Åtgärda", "Återkoppla"]),
    ("Serviceronda", ["Boka tid", "Utför service", "Skriv protokoll"]),
]
QUESTIONS = [
    FieldDefinition("ok", "Allt fungerar efter åtgärd", FieldKind.BOOLEAN, required=True),
    FieldDefinition("hours", "Arbetstid (timmar)", FieldKind.NUMBER),
    FieldDefinition("note", "Anteckning", FieldKind.TEXT),
]


@dataclass
class _Place:
    customer: Customer
    contacts: list[Contact]
    objects: list[CaseObject]
    project: Project | None


async def _rows(session: AsyncSession, model: type[M]) -> list[M]:
    """Every row of the tenant, oldest first (by `order` for priorities and statuses)."""
    rows = list((await session.scalars(select(model))).all())
    return sorted(rows, key=lambda r: (getattr(r, "order", 0), getattr(r, "id", 0)))


async def _places(session: AsyncSession) -> list[_Place]:
    contacts = await _rows(session, Contact)
    objects = await _rows(session, CaseObject)
    projects = await _rows(session, Project)
    return [
        _Place(
            customer,
            [c for c in contacts if c.customer_id == customer.id],
            [o for o in objects if o.customer_id == customer.id],
            next((p for p in projects if p.customer_id == customer.id), None),
        )
        for customer in await _rows(session, Customer)
    ]


async def create_demo_cases(session: AsyncSession, seed: int = 20261126) -> int:
    """Registers CASE_COUNT cases over the last half year, as the staff would have."""
    rng = random.Random(seed)
    users = await _rows(session, User)
    groups = await _rows(session, Group)
    members = await _rows(session, GroupMember)
    statuses = await _rows(session, CaseStatus)
    priorities = await _rows(session, CasePriority)
    types = {t.name: t for t in await _rows(session, CaseType)}
    places = await _places(session)
    await case_options.save_case_type(
        session,
        id=types["Felanmälan"].id,
        name="Felanmälan",
        fields=[
            FieldDefinition("apartment", "Lägenhetsnummer", FieldKind.TEXT),
            FieldDefinition("floor", "Våning", FieldKind.NUMBER),
            FieldDefinition("keyBox", "Nyckel i nyckelskåp", FieldKind.BOOLEAN),
        ],
    )
    task_templates = [
        await case_options.save_task_template(session, id=None, name=name, tasks=tasks)
        for name, tasks in TASKS
    ]
    form = await case_options.save_form_template(
        session, id=None, name="Egenkontroll", questions=QUESTIONS
    )
    now = utcnow()
    moments = sorted(
        now - timedelta(minutes=rng.randint(10, 180 * 24 * 60)) for _ in range(CASE_COUNT)
    )
    for moment in moments:
        type_name = rng.choices(list(TITLES), weights=[50, 20, 10, 8, 12])[0]
        given = _case(rng, moment, now, type_name, types, places, users, groups, priorities)
        if type_name == "Felanmälan":
            given["task_template_ids"] = [task_templates[0].id]
            given["custom_fields"] = [
                ("apartment", str(rng.randint(1001, 1404))),
                ("floor", str(rng.randint(0, 6))),
            ]
        elif type_name == "Service":
            given["task_template_ids"] = [task_templates[1].id]
            given["form_template_ids"] = [form.id]
        author = rng.choice(users)
        case = await register_case(
            session, Actor(author.id, None, author.name), CaseInput(**given), now=moment
        )
        # Older cases have moved on: most are being worked on or done.
        age = (now - moment).days
        progressed = rng.random() < min(0.95, age / 40)
        if progressed:
            status = statuses[3] if rng.random() < min(0.9, age / 90) else rng.choice(statuses[1:3])
            worker = _worker(rng, users, members, case.responsible_id)
            await update_case(
                session,
                Actor(worker.id, None, worker.name),
                case.id,
                CaseInput(status_id=status.id),
            )
    return CASE_COUNT


def _case(
    rng: random.Random,
    moment: datetime,
    now: datetime,
    type_name: str,
    types: dict[str, CaseType],
    places: list[_Place],
    users: list[User],
    groups: list[Group],
    priorities: list[CasePriority],
) -> dict[str, Any]:
    given: dict[str, Any] = {
        "title": rng.choice(TITLES[type_name]),
        "description": rng.choice(DESCRIPTIONS),
        "type_id": types[type_name].id,
        "priority_id": rng.choices(priorities, weights=[20, 50, 22, 8])[0].id,
    }
    if type_name != "Internt":
        place = rng.choice(places)
        base = (place.customer.lat or 59.33, place.customer.lng or 18.06)
        if place.objects and rng.random() < 0.6:
            obj = rng.choice(place.objects)
            given["object_id"] = obj.id
            base = (obj.lat or base[0], obj.lng or base[1])
        else:
            given["customer_id"] = place.customer.id
        if place.contacts and rng.random() < 0.7:
            given["customer_id"] = place.customer.id
            given["contact_id"] = rng.choice(place.contacts).id
        if place.project and type_name == "Offert":
            given["project_id"] = place.project.id
        # Spread the pins around the address, as cases are in different stairwells.
        given["location"] = (
            round(base[0] + rng.uniform(-0.004, 0.004), 6),
            round(base[1] + rng.uniform(-0.006, 0.006), 6),
        )
        given["visible_in_portal"] = rng.random() < 0.5
    if rng.random() < 0.75:
        given["deadline"] = moment + timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 8))
    if rng.random() < 0.6:
        given["assigned_group_ids"] = [rng.choice(groups).id]
    if rng.random() < 0.7 or "assigned_group_ids" not in given:
        given["assigned_user_ids"] = [u.id for u in rng.sample(users, rng.randint(1, 2))]
    if rng.random() < 0.5:
        given["responsible_id"] = rng.choice(users).id
    return given


def _worker(
    rng: random.Random, users: list[User], members: list[GroupMember], responsible: int | None
) -> User:
    if responsible is not None:
        return next(u for u in users if u.id == responsible)
    member_ids = {m.user_id for m in members}
    return rng.choice([u for u in users if u.id in member_ids] or users)
