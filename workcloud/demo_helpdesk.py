"""The demo tenant's helpdesk: tags, linked and merged cases, files, saved views, reply
templates."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Case,
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Customer,
    Group,
    User,
    utcnow,
)
from domain import comments, conversations, reply_templates
from domain.attachments import add_attachments
from domain.cases.changes import update_case
from domain.cases.event_log import Actor
from domain.cases.links import LinkKind, link_cases
from domain.cases.merging import merge_cases
from domain.cases.registration import register_case
from domain.cases.state import CaseInput
from domain.cases.table import CaseFilter, CaseOrder, CaseOrderField, CaseScope, OrderDirection
from domain.cases.tags import set_case_tags
from domain.cases.views import ViewSettings, save_view
from domain.signin import contact_viewer, staff_viewer
from domain.viewer import Viewer
from workcloud.demo_files import DemoFiles

WATER_DAMAGE = "Vattenskada"
URGENT = "Akut"
WARRANTY = "Garanti"
INSPECTION = "Besiktning"
RECURRING = "Återkommande"
# A case's tags in this order, the one that matters most first.
TAG_ORDER = (URGENT, WATER_DAMAGE, WARRANTY, INSPECTION, RECURRING)
WATER_TITLES = {
    "Läckande kran i tvättstugan",
    "Vattenläcka under diskbänken",
    "Fuktfläck i taket på badrummet",
    "Stopp i avloppet i köket",
    "Reklamation: diskmaskinen läcker igen",
}
URGENT_TITLES = {
    "Hissen står stilla mellan plan 3 och 4",
    "Ingen värme i lägenheten",
    "Vattenläcka under diskbänken",
    "Entréporten går inte i lås",
}
INSPECTION_TITLES = {
    "OVK-besiktning",
    "Kontroll av hissens nödtelefon",
    "Årlig service av ventilationsaggregat",
    "Service av undercentral",
}
# The same fault on the same place again within this long is a recurring one.
RECURRING_WITHIN = timedelta(days=60)
# Cases this close in time may be about the same thing.
LINKED_WITHIN = timedelta(days=10)
FAULT_TYPES = {"Felanmälan", "Reklamation"}
RELATED_PAIRS = 3
DUPLICATE_PAIRS = 2

# The story the demo tells in full, at the customer with a portal sign-in.
STORY_CUSTOMER = "Brf Solbacken"
STORY_OBJECT = "Tvättstuga, Brf Solbacken"
STORY_GROUP = "Fastighetsjour"
ORIGINAL_TITLE = "Vattenskada efter stambrott i trapphus B"
ORIGINAL_DESCRIPTION = (
    "Stambrott i trapphus B natten till i går. Vatten i tvättstugan och källarförråden; "
    "huvudkranen är avstängd och röret provisoriskt lagat."
)
CHILDREN = [
    # title, type, assignee's handle
    ("Fuktmätning i lägenhet 1102 och 1202", "Service", "maria"),
    ("Avfuktning av källarförrådet", "Service", "johan"),
    ("Offert på nytt innertak i tvättstugan", "Offert", "maria"),
]
DUPLICATE_TITLE = "Vatten droppar från taket i tvättstugan"
DUPLICATE_DESCRIPTION = "Kunden ringde: det droppar från taket i tvättstugan."
CUSTOMER_MESSAGE = (
    "Nu droppar det även i förrådet bredvid tvättstugan. Kan ni komma förbi i dag? "
    "Porten är öppen till kl. 16."
)
STAFF_COMMENT = "Samma läcka som ärende {number} (stambrottet i trapphus B). Slår ihop ärendena."
MEASURED = "Mätvärdena från i dag bifogade. Badrummet i 1102 är fortfarande fuktigt."

TEMPLATES = [
    # owner's handle, name, text, shared
    (
        "anna",
        "Bekräftelse felanmälan",
        "Hej {{contact.name}}!\n\n"
        "Tack för er felanmälan. Vi har registrerat ärende {{case.number}}, "
        "{{case.title}}, och återkommer med en tid för besök.\n\n"
        "Vänliga hälsningar\n{{user.name}}\nNordisk Fastighetsservice AB",
        True,
    ),
    (
        "anna",
        "Åtgärd utförd",
        "Hej {{contact.name}}!\n\n"
        "Arbetet i ärende {{case.number}} hos {{customer.name}} är nu utfört. Hör av er om "
        "något inte fungerar som det ska.\n\nVänliga hälsningar\n{{user.name}}",
        True,
    ),
    (
        "erik",
        "Tillträde till lägenhet",
        'Hej {{ contact.name }}! För att åtgärda "{{ case.title }}" behöver vi komma in i '
        "lägenheten. Passar det att vi lånar nyckel ur nyckelskåpet i morgon förmiddag?\n"
        "/{{ user.name }}",
        False,
    ),
]


async def create_demo_helpdesk(
    session: AsyncSession, files: DemoFiles, seed: int = 20261127
) -> None:
    """Tags the demo's cases, links and merges some, attaches files (already stored) to
    the story's, and saves views and reply templates."""
    rng = random.Random(seed)
    users = {u.handle: u for u in await session.scalars(select(User))}
    types = await _names(session, CaseType)
    # Oldest first: a link or a recurring fault is found looking back in time.
    cases = list(await session.scalars(select(Case).order_by(Case.created_at, Case.number)))
    await _tag(session, rng, users, types, cases)
    await _link(session, users["sara"], types, cases)
    await _tell_the_water_damage(session, users, files)
    await _save_views(session, users)
    for handle, name, body, shared in TEMPLATES:
        await reply_templates.save_reply_template(
            session, _viewer(users[handle]), id=None, name=name, body=body, shared=shared
        )


def _actor(user: User) -> Actor:
    return Actor(user.id, None, user.name)


def _viewer(user: User) -> Viewer:
    """The staff user, as the demo writes for them outside any sign-in."""
    return staff_viewer(user, token_id=0)


async def _names(session: AsyncSession, model: type[CaseType | CasePriority]) -> dict[int, str]:
    return {id: name for id, name in await session.execute(select(model.id, model.name))}


async def _tag(
    session: AsyncSession,
    rng: random.Random,
    users: dict[str, User],
    types: dict[int, str],
    cases: Sequence[Case],
) -> None:
    """The tags the staff would have set, each case's by whoever registered it."""
    priorities = await _names(session, CasePriority)
    by_id = {u.id: u for u in users.values()}
    last_seen: dict[tuple[int | None, int | None, str], datetime] = {}
    for case in cases:
        type_name = types.get(case.type_id or 0)
        priority = priorities.get(case.priority_id or 0)
        tags: set[str] = set()
        if case.title in WATER_TITLES and rng.random() < 0.85:
            tags.add(WATER_DAMAGE)
        if priority == "Akut" or (
            case.title in URGENT_TITLES and priority == "Hög" and rng.random() < 0.7
        ):
            tags.add(URGENT)
        if type_name == "Reklamation" and rng.random() < 0.9:
            tags.add(WARRANTY)
        if case.title in INSPECTION_TITLES and rng.random() < 0.8:
            tags.add(INSPECTION)
        place = (case.customer_id, case.object_id, case.title)
        seen = last_seen.get(place)
        if type_name == "Felanmälan" and seen and case.created_at - seen < RECURRING_WITHIN:
            tags.add(RECURRING)
        last_seen[place] = case.created_at
        if tags and case.created_by_id in by_id:
            await set_case_tags(
                session,
                _actor(by_id[case.created_by_id]),
                case.id,
                [t for t in TAG_ORDER if t in tags],
            )


async def _link(
    session: AsyncSession, user: User, types: dict[int, str], cases: Sequence[Case]
) -> None:
    """As a coordinator finds them: a fault reported twice at one customer, and different
    faults on one object within days. A case is in one such link at most."""
    related: list[tuple[Case, Case]] = []
    duplicates: list[tuple[Case, Case]] = []
    linked: set[int] = set()
    for i, earlier in enumerate(cases):
        for later in cases[i + 1 :]:
            if later.created_at - earlier.created_at > LINKED_WITHIN:
                break
            if earlier.id in linked or later.id in linked or earlier.customer_id is None:
                continue
            same_customer = earlier.customer_id == later.customer_id
            if (
                same_customer
                and earlier.title == later.title
                and types.get(earlier.type_id or 0) in FAULT_TYPES
                and len(duplicates) < DUPLICATE_PAIRS
            ):
                duplicates.append((later, earlier))
            elif (
                same_customer
                and earlier.object_id is not None
                and earlier.object_id == later.object_id
                and len(related) < RELATED_PAIRS
            ):
                related.append((later, earlier))
            else:
                continue
            linked |= {earlier.id, later.id}
    for kind, pairs in ((LinkKind.RELATES_TO, related), (LinkKind.DUPLICATE_OF, duplicates)):
        for case, other in pairs:
            await link_cases(session, _actor(user), case.id, other.id, kind)


async def _tell_the_water_damage(
    session: AsyncSession, users: dict[str, User], files: DemoFiles
) -> None:
    """A burst pipe at the customer with a portal sign-in: the case with its action plan,
    its follow-ups as its children (the moisture readings on one's comment), and the same
    leak reported again with the insurance claim, discussed, then merged into the case."""
    customer = await session.scalar(select(Customer).where(Customer.name == STORY_CUSTOMER))
    assert customer is not None
    contact = await session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    laundry = await session.scalar(select(CaseObject).where(CaseObject.name == STORY_OBJECT))
    on_call = await session.scalar(select(Group).where(Group.name == STORY_GROUP))
    assert contact is not None and laundry is not None and on_call is not None
    types = {name: id for id, name in (await _names(session, CaseType)).items()}
    priorities = {name: id for id, name in (await _names(session, CasePriority)).items()}
    statuses = {s.name: s.id for s in await session.scalars(select(CaseStatus))}
    johan, erik = users["johan"], users["erik"]
    now = utcnow()

    async def register(by: User, hours_ago: int, given: CaseInput) -> Case:
        at_customer = replace(
            given, customer_id=customer.id, contact_id=contact.id, visible_in_portal=True
        )
        return await register_case(
            session, _actor(by), at_customer, now=now - timedelta(hours=hours_ago)
        )

    original = await register(
        johan,
        30,
        CaseInput(
            title=ORIGINAL_TITLE,
            description=ORIGINAL_DESCRIPTION,
            type_id=types["Felanmälan"],
            priority_id=priorities["Akut"],
            object_id=laundry.id,
            assigned_group_ids=[on_call.id],
            responsible_id=johan.id,
            deadline=now + timedelta(days=1),
        ),
    )
    await update_case(
        session, _actor(johan), original.id, CaseInput(status_id=statuses["Pågående"])
    )
    await set_case_tags(session, _actor(johan), original.id, [URGENT, WATER_DAMAGE])
    await add_attachments(session, _viewer(johan), original.id, None, [files.action_plan])
    for i, (title, type_name, handle) in enumerate(CHILDREN):
        child = await register(
            johan,
            28 - i,
            CaseInput(
                title=title,
                type_id=types[type_name],
                assigned_user_ids=[users[handle].id],
                deadline=now + timedelta(days=3 + 4 * i),
            ),
        )
        await set_case_tags(session, _actor(johan), child.id, [WATER_DAMAGE])
        await link_cases(session, _actor(johan), original.id, child.id, LinkKind.PARENT_OF)
        if i == 0:
            measurer = _viewer(users[handle])
            await comments.add_comment(
                session, measurer, child.id, MEASURED, [files.moisture_readings]
            )

    duplicate = await register(
        erik,
        6,
        CaseInput(
            title=DUPLICATE_TITLE,
            description=DUPLICATE_DESCRIPTION,
            type_id=types["Felanmälan"],
            priority_id=priorities["Hög"],
            object_id=laundry.id,
            assigned_user_ids=[erik.id],
        ),
    )
    await set_case_tags(session, _actor(erik), duplicate.id, [WATER_DAMAGE])
    await conversations.send_portal_message(
        session,
        contact_viewer(contact, token_id=0),
        duplicate.id,
        CUSTOMER_MESSAGE,
        [files.insurance_claim],
    )
    comment = STAFF_COMMENT.format(number=original.number)
    await comments.add_comment(session, _viewer(erik), duplicate.id, comment)
    await link_cases(session, _actor(erik), duplicate.id, original.id, LinkKind.DUPLICATE_OF)
    await merge_cases(session, _actor(erik), duplicate.id, original.id)


async def _save_views(session: AsyncSession, users: dict[str, User]) -> None:
    admin, member = _viewer(users["anna"]), _viewer(users["erik"])
    by_deadline = (CaseOrder(CaseOrderField.DEADLINE, OrderDirection.ASC),)
    await save_view(
        session,
        admin,
        None,
        "Akuta ärenden",
        ViewSettings(filter=CaseFilter(open=True, tags=[URGENT]), orders=by_deadline),
        shared=True,
    )
    await save_view(
        session,
        admin,
        None,
        "Mina öppna",
        ViewSettings(scope=CaseScope.MINE, filter=CaseFilter(open=True), orders=by_deadline),
        shared=True,
    )
    # The member's own: water damage at the customers in Göteborg, where his group works.
    in_gothenburg = select(Customer.id).where(Customer.address.like("%, Göteborg"))
    await save_view(
        session,
        member,
        None,
        "Vattenskador i Göteborg",
        ViewSettings(
            filter=CaseFilter(
                customer_ids=list(await session.scalars(in_gothenburg)), tags=[WATER_DAMAGE]
            ),
            orders=(CaseOrder(CaseOrderField.CREATED_AT, OrderDirection.DESC),),
        ),
        shared=False,
    )
