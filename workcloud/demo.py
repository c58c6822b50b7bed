"""A realistic Swedish demo tenant: staff, groups, customers, objects, projects, cases,
their helpdesk side (tags, links, a merge, saved views, reply templates, files) and their
service side (SLA policies on a business calendar, a webhook)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable

from config.settings import Settings
from db.engine import Database
from db.models import CaseObject, Customer, Project
from domain import archiving, customers, deactivation, groups, people
from domain.tenants import create_tenant
from domain.viewer import Role
from storage.configured import open_store
from workcloud.demo_cases import create_demo_cases
from workcloud.demo_files import DemoFiles, store_demo_files
from workcloud.demo_helpdesk import create_demo_helpdesk
from workcloud.demo_service import create_demo_service

STAFF = [
    ("Anna Lindqvist", "anna", Role.ADMIN),
    ("Erik Johansson", "erik", Role.MEMBER),
    ("Sara Nilsson", "sara", Role.MEMBER),
    ("Johan Berg", "johan", Role.MEMBER),
    ("Maria Åkesson", "maria", Role.MEMBER),
    ("Lars Öberg", "lars", Role.MEMBER),
]
GROUPS = [("Service Göteborg", ["erik", "sara"]), ("Fastighetsjour", ["johan", "lars", "maria"])]
CUSTOMERS = [
    # name, org number, city, lat, lng, contact
    ("Brf Solbacken", "769612-3456", "Göteborg", 57.7089, 11.9746, "Karin Svensson"),
    ("Fastighets AB Kvarnen", "556123-7788", "Mölndal", 57.6554, 12.0138, "Per Holm"),
    ("Västra Hamnens Kontor AB", "556987-1122", "Malmö", 55.6135, 12.9790, "Eva Lund"),
    ("Hyresgästföreningen Norr", "802478-9900", "Umeå", 63.8258, 20.2630, "Ola Ström"),
    ("Skolverket Region Öst", "202100-4433", "Stockholm", 59.3326, 18.0649, "Lena Ek"),
    ("Åre Fjällstugor AB", "556334-2211", "Åre", 63.3990, 13.0815, "Nils Sjöberg"),
    ("Lunds Kommun Fastigheter", "212000-1264", "Lund", 55.7047, 13.1910, "Frida Dahl"),
    ("Uppsala Hem AB", "556456-7890", "Uppsala", 59.8586, 17.6389, "Mikael Wik"),
    ("Brf Linnéstaden", "769601-2210", "Göteborg", 57.6950, 11.9520, "Anders Lind"),
    ("HSB Brf Kronan", "769622-4455", "Borås", 57.7210, 12.9401, "Sofia Berg"),
    ("Örebrobostäder AB", "556197-3311", "Örebro", 59.2741, 15.2066, "Jonas Falk"),
    ("Norrköpings Hyresbostäder", "556101-9911", "Norrköping", 58.5877, 16.1924, "Emma Hed"),
    ("Brf Sjöutsikten", "769633-8877", "Stockholm", 59.3157, 18.0719, "Oskar Nyman"),
    ("Västerås Industrihus AB", "556744-1290", "Västerås", 59.6099, 16.5448, "Ida Sund"),
]
OBJECTS = ["Tvättstuga", "Undercentral värme", "Hiss A", "Ventilationsaggregat", "Entréport"]


async def create_demo(settings: Settings) -> list[tuple[str, str, str]]:
    """The demo tenant in the settings' database, its files in their file store."""
    db = Database(settings.database_url)
    store = open_store(settings.storage_url)
    files: DemoFiles | None = None
    committed = False
    try:
        await db.migrate()
        files = await store_demo_files(store)
        logins = await _create_tenant(db, files)
        committed = True
    finally:
        if files is not None and not committed:
            await store.delete(files.keys())
        await store.close()
        await db.dispose()
    return logins


async def _create_tenant(db: Database, files: DemoFiles) -> list[tuple[str, str, str]]:
    """Everything but the files' bytes, in one transaction; the logins."""
    suffix = secrets.token_hex(2)
    password = "demo-" + secrets.token_urlsafe(6)
    logins: list[tuple[str, str, str]] = []
    async with db.transaction(None) as session:
        admin_name, admin_handle, _ = STAFF[0]
        admin_email = f"{admin_handle}.{suffix}@demo.workcloud.se"
        _tenant, _admin = await create_tenant(
            session,
            name="Nordisk Fastighetsservice AB",
            admin_email=admin_email,
            admin_password=password,
            admin_name=admin_name,
            admin_handle=admin_handle,
        )
        logins.append(("admin", admin_email, password))
        by_handle = {admin_handle: _admin.id}
        for name, handle, role in STAFF[1:]:
            email = f"{handle}.{suffix}@demo.workcloud.se"
            user = await people.create_user(
                session,
                people.NewUser(email=email, name=name, password=password, handle=handle, role=role),
            )
            by_handle[handle] = user.id
            logins.append(("member", email, password))
        for group_name, handles in GROUPS:
            await groups.create_group(session, group_name, [by_handle[h] for h in handles])
        retired: list[Awaitable[object]] = []
        for i, (name, org, city, lat, lng, contact_name) in enumerate(CUSTOMERS):
            customer = await customers.create_customer(
                session,
                name=name,
                org_number=org,
                email=f"info{i}.{suffix}@kund.example.se",
                phone=f"+4631{700000 + i * 1111}",
                place=customers.Place(address=f"Storgatan {i + 3}, {city}", lat=lat, lng=lng),
            )
            contact = await customers.create_contact(
                session,
                customer_id=customer.id,
                name=contact_name,
                email=f"kontakt{i}.{suffix}@kund.example.se",
                phone=f"+4670{1234500 + i}",
            )
            if i == 0:
                await customers.enable_portal_access(
                    session, contact_id=contact.id, password=password
                )
                logins.append(("portal", contact.email or "", password))
            for j, object_name in enumerate(OBJECTS[: 2 + i % 3]):
                case_object = await customers.create_object(
                    session,
                    name=f"{object_name}, {name}",
                    customer_id=customer.id,
                    has_customer=True,
                    place=customers.Place(
                        address=f"Storgatan {i + 3}, {city}",
                        lat=lat + 0.002 * (j + 1),
                        lng=lng - 0.003 * (j + 1),
                    ),
                )
                if i == 0 and j == 1:
                    retired.append(archiving.archive(session, CaseObject, case_object.id))
            project = await customers.create_project(
                session,
                name=f"Stambyte {city} {2027 + i % 2}",
                customer_id=customer.id,
                has_customer=True,
            )
            if i == 1:
                retired.append(archiving.archive(session, Project, project.id))
            if i == len(CUSTOMERS) - 1:
                retired.append(archiving.archive(session, Customer, customer.id))
        await create_demo_cases(session)
        await create_demo_helpdesk(session, files)
        await create_demo_service(session, files)
        # Retired things beside active ones: they keep their cases and history, and leave
        # the lists unless asked for (`includeArchived`, `includeInactive`).
        for archived in retired:
            await archived
        await deactivation.deactivate_user(session, by_handle[STAFF[-1][1]])
        kind, email, _ = logins[len(STAFF) - 1]
        logins[len(STAFF) - 1] = (f"{kind} (deactivated)", email, password)
    return logins
