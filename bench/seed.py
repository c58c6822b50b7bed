"""Loads one tenant with 100,000 cases (or any number) into the bench database, by COPY.

    python -m bench.seed                 # 100,000 cases into workcloud_bench
    python -m bench.seed --cases 1000000 --database workcloud_bench_1m

The database is dropped and created anew (only databases named workcloud_bench*), migrated
with `Database.migrate()`, given a tenant the way `create-tenant` makes one, and then filled
with users, groups, customers, contacts, objects across Sweden, projects, cases with
assignees and custom fields, comments and events, tasks, and a few busy cases with 120
comments and events each and the notifications their mentions give (bench/seed_activity.py).
Secondary indexes are dropped during the load and rebuilt after it, which is what makes a
million cases take a minute, not an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench import database, seed_activity, swedish
from db.engine import Database
from domain.cases.search_text import compose
from domain.tenants import create_tenant

LOADED_TABLES = [
    "users", "groups", "group_members", "customers", "contacts", "objects", "projects", "cases",
    "case_assigned_users", "case_assigned_groups", "comments", "case_events", "tasks",
    "comment_mentions", "notifications",
]  # fmt: skip

# Five extra fields on every case type: one of each kind, and a second text field.
CUSTOM_FIELDS = {
    "Felanmälan": [
        ("rum", "Rum", "TEXT", []), ("felkod", "Felkod", "SELECT", ["E01", "E02", "E17", "F3"]),
        ("akut_atgard", "Akut åtgärd", "BOOLEAN", []), ("antal_lgh", "Antal lägenheter", "NUMBER", []),
        ("upptackt", "Upptäckt", "DATE", []),
    ],
    "Service": [
        ("intervall", "Intervall", "SELECT", ["Månad", "Kvartal", "År"]), ("tekniker", "Tekniker", "TEXT", []),
        ("avtal", "Avtalsnummer", "TEXT", []), ("timmar", "Timmar", "NUMBER", []),
        ("nasta_besok", "Nästa besök", "DATE", []),
    ],
    "Offert": [
        ("belopp", "Belopp", "NUMBER", []), ("giltig_till", "Giltig till", "DATE", []),
        ("rot", "ROT-avdrag", "BOOLEAN", []), ("omfattning", "Omfattning", "TEXT", []),
        ("kalkyl", "Kalkyltyp", "SELECT", ["Fast pris", "Löpande"]),
    ],
    "Reklamation": [
        ("ursprung", "Ursprungligt ärende", "NUMBER", []), ("garanti", "Garanti", "BOOLEAN", []),
        ("orsak", "Orsak", "SELECT", ["Material", "Utförande", "Okänd"]), ("leverantor", "Leverantör", "TEXT", []),
        ("inkommen", "Inkommen", "DATE", []),
    ],
    "Internt": [
        ("avdelning", "Avdelning", "SELECT", ["Drift", "Ekonomi", "Ledning"]), ("kostnadsstalle", "Kostnadsställe", "TEXT", []),
        ("budget", "Budget", "NUMBER", []), ("klart", "Klart", "BOOLEAN", []),
        ("stamma", "Avstämning", "DATE", []),
    ],
}  # fmt: skip


@dataclass
class Volumes:
    cases: int
    users: int = 200
    groups: int = 20

    @property
    def customers(self) -> int:
        return max(200, self.cases // 20)

    @property
    def objects(self) -> int:
        return max(400, self.cases // 5)

    @property
    def projects(self) -> int:
        return max(50, self.cases // 100)


@dataclass
class Options:
    """The tenant's dropdown rows, as `create-tenant` made them."""

    tenant_id: int
    admin_id: int
    types: list[tuple[int, str]]
    statuses: list[tuple[int, str, bool]]
    priorities: list[tuple[int, str]]


@dataclass
class People:
    users: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, handle
    groups: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Places:
    customers: list[tuple[int, str, float, float]] = field(default_factory=list)
    contacts_of: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    objects: list[tuple[int, str, int | None, float, float]] = field(default_factory=list)
    projects: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Written:
    """The case columns `compose` reads, without building an ORM object per case."""

    number: int
    title: str
    description: str | None


def _value(rng: random.Random, kind: str, options: Sequence[str], created: datetime) -> str:
    if kind == "SELECT":
        return rng.choice(list(options))
    if kind == "BOOLEAN":
        return rng.choice(["true", "false"])
    if kind == "NUMBER":
        return str(rng.randint(1, 250))
    if kind == "DATE":
        return (created + timedelta(days=rng.randint(-20, 40))).date().isoformat()
    return rng.choice(["Källare", "Plan 2", "Vind", "Lgh 1102", "Kontor", "Uppgång B", "Hus C"])


class Seeder:
    def __init__(self, connection: asyncpg.Connection, volumes: Volumes, seed: int) -> None:
        self.connection = connection
        self.volumes = volumes
        self.rng = random.Random(seed)
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    async def copy(
        self, table: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
    ) -> int:
        rows = list(records)
        for start in range(0, len(rows), 200_000):
            await self.connection.copy_records_to_table(
                table, records=rows[start : start + 200_000], columns=list(columns)
            )
        return len(rows)

    async def next_id(self, table: str) -> int:
        return int(await self.connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))

    async def people(self, options: Options) -> People:
        rng, tenant = self.rng, options.tenant_id
        password_hash = await self.connection.fetchval(
            "SELECT password_hash FROM users WHERE id = $1", options.admin_id
        )
        first = await self.next_id("users")
        people = People()
        users = []
        for i in range(self.volumes.users):
            name = swedish.person(rng)
            handle = f"{swedish.ascii_fold(name.split()[0]).lower()}{i}"
            email = f"user{i}@bench.workcloud.se"
            user_id = first + i
            people.users.append((user_id, name, handle))
            users.append(
                (user_id, tenant, email, name, handle, handle, None, "MEMBER", password_hash,
                 True, False, True, self.now)
            )  # fmt: skip
        await self.copy(
            "users",
            ["id", "tenant_id", "email", "name", "handle", "handle_key", "phone", "role",
             "password_hash", "email_on_mention", "email_on_assignment", "active", "created_at"],
            users,
        )  # fmt: skip
        first = await self.next_id("groups")
        for i in range(self.volumes.groups):
            city = swedish.CITIES[i % len(swedish.CITIES)][0]
            kind = ["Service", "Fastighetsjour", "Ventilation", "Hiss", "Projekt"][i % 5]
            people.groups.append((first + i, f"{kind} {city}"))
        await self.copy(
            "groups", ["id", "tenant_id", "name", "created_at"],
            [(g, tenant, name, self.now) for g, name in people.groups],
        )  # fmt: skip
        members = {
            (rng.choice(people.groups)[0], user_id)
            for user_id, _, _ in people.users
            for _ in range(rng.randint(1, 2))
        }
        await self.copy(
            "group_members", ["group_id", "user_id", "tenant_id"],
            [(g, u, tenant) for g, u in sorted(members)],
        )  # fmt: skip
        return people

    async def places(self, options: Options) -> Places:
        rng, tenant, volumes = self.rng, options.tenant_id, self.volumes
        places = Places()
        customers, contacts, objects, projects = [], [], [], []
        customer_id = await self.next_id("customers")
        contact_id = await self.next_id("contacts")
        for i in range(volumes.customers):
            city, lat, lng = swedish.city(rng)
            name = swedish.customer_name(rng, city, i)
            cid = customer_id + i
            places.customers.append((cid, name, lat, lng))
            customers.append(
                (cid, tenant, name, f"{5560000000 + i}", f"info{i}@kund.bench.se", f"+46{8000000 + i}",
                 swedish.address(rng, city), lat, lng, self.now)
            )  # fmt: skip
            own = []
            for _ in range(rng.randint(1, 3)):
                person = swedish.person(rng)
                own.append((contact_id, person))
                contacts.append(
                    (contact_id, tenant, cid, person, f"kontakt{contact_id}@kund.bench.se",
                     f"+4670{1000000 + contact_id}", None, None, self.now)
                )  # fmt: skip
                contact_id += 1
            places.contacts_of[cid] = own
        object_id = await self.next_id("objects")
        for i in range(volumes.objects):
            owner = rng.choice(places.customers) if rng.random() < 0.9 else None
            city, lat, lng = swedish.city(rng)
            if owner is not None:
                lat, lng = owner[2] + rng.gauss(0, 0.01), owner[3] + rng.gauss(0, 0.01)
            name = f"{rng.choice(swedish.OBJECT_KINDS)} {rng.choice(swedish.STREETS)} {rng.randint(1, 99)}"
            oid = object_id + i
            places.objects.append((oid, name, owner[0] if owner else None, lat, lng))
            objects.append(
                (oid, tenant, name, owner[0] if owner else None, swedish.address(rng, city), lat, lng, self.now)
            )  # fmt: skip
        project_id = await self.next_id("projects")
        for i in range(volumes.projects):
            owner = rng.choice(places.customers)
            name = f"Stambyte {owner[1]} {2025 + i % 3}"
            places.projects.append((project_id + i, name))
            projects.append((project_id + i, tenant, name, owner[0], self.now))
        await self.copy(
            "customers",
            ["id", "tenant_id", "name", "org_number", "email", "phone", "address", "lat", "lng", "created_at"],
            customers,
        )  # fmt: skip
        await self.copy(
            "contacts",
            ["id", "tenant_id", "customer_id", "name", "email", "phone", "portal_email",
             "portal_password_hash", "created_at"],
            contacts,
        )  # fmt: skip
        await self.copy(
            "objects",
            ["id", "tenant_id", "name", "customer_id", "address", "lat", "lng", "created_at"],
            objects,
        )  # fmt: skip
        await self.copy(
            "projects", ["id", "tenant_id", "name", "customer_id", "created_at"], projects
        )
        return places

    def cases(
        self, options: Options, people: People, places: Places, first_id: int
    ) -> Iterator[tuple[tuple[Any, ...], list[int], list[int], datetime]]:
        """(case row, assigned user ids, assigned group ids, created at) per case, oldest first."""
        rng, n = self.rng, self.volumes.cases
        span = timedelta(days=3 * 365).total_seconds()
        closed = [s for s in options.statuses if s[2]]
        open_ = [s for s in options.statuses if not s[2]]
        users_by_id = {u[0]: u for u in people.users}
        groups_by_id = dict(people.groups)
        objects_of: dict[int, list[tuple[int, str, int | None, float, float]]] = {}
        for obj in places.objects:
            if obj[2] is not None:
                objects_of.setdefault(obj[2], []).append(obj)
        customer_names = {c[0]: c for c in places.customers}
        for i in range(n):
            number = i + 1
            created = self.now - timedelta(seconds=span * (1 - i / n) + rng.random() * 60)
            age = (self.now - created).days
            type_id, type_name = rng.choice(options.types)
            problem_title, problem_phrase = rng.choice(swedish.PROBLEMS)
            customer = (
                customer_names[rng.choice(places.customers)[0]] if rng.random() < 0.85 else None
            )
            contact = obj = None
            if customer is not None:
                contact = (
                    rng.choice(places.contacts_of[customer[0]]) if rng.random() < 0.8 else None
                )
                own = objects_of.get(customer[0])
                obj = rng.choice(own) if own and rng.random() < 0.7 else None
            elif rng.random() < 0.3:
                obj = rng.choice(places.objects)
            place = obj[1] if obj else rng.choice(swedish.OBJECT_KINDS).lower()
            title = f"{problem_title} – {obj[1] if obj else place}"
            sentences = rng.sample(swedish.SENTENCES, rng.randint(1, 3))
            if rng.random() < 0.001:
                sentences.append(swedish.RARE_SENTENCE)
            subject = obj[1] if obj else (customer[1] if customer else "Kontoret")
            description = f"{subject} {problem_phrase} {place}. " + " ".join(sentences)
            # Old cases are mostly closed; the last few months are mostly open.
            status = rng.choice(closed if rng.random() < min(0.95, age / 120) else open_)
            priority = (
                rng.choices(options.priorities, weights=[3, 6, 2, 1])[0]
                if rng.random() < 0.9
                else None
            )
            assigned_users = rng.sample(
                people.users, rng.choices([0, 1, 2, 3], weights=[2, 5, 2, 1])[0]
            )
            assigned_groups = rng.sample(people.groups, 1) if rng.random() < 0.5 else []
            responsible = (
                rng.choice(assigned_users or people.users) if rng.random() < 0.75 else None
            )
            deadline = (
                created + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
                if rng.random() < 0.7
                else None
            )
            lat, lng = (
                (obj[3], obj[4])
                if obj
                else ((customer[2], customer[3]) if customer else (None, None))
            )
            custom = {
                key: _value(rng, kind, opts, created)
                for key, _label, kind, opts in CUSTOM_FIELDS[type_name]
                if rng.random() < 0.9
            }
            priority_name = priority[1] if priority else None
            # Drawn where the row used to draw it, so a seed gives the same cases as before.
            project = rng.choice(places.projects) if customer and rng.random() < 0.05 else None
            # As the domain writes it: the case's own text, its options' names, then assignees.
            search_text = compose(
                _Written(number, title, description),  # type: ignore[arg-type]
                [customer[1] if customer else None, contact[1] if contact else None,
                 obj[1] if obj else None, project[1] if project else None, type_name, status[1],
                 priority_name,
                 *sorted([*(users_by_id[u[0]][1] for u in assigned_users),
                          *(groups_by_id[g[0]] for g in assigned_groups)])],
            )  # fmt: skip
            row = (
                first_id + i, options.tenant_id, number, title, description,
                customer[0] if customer else None, contact[0] if contact else None, obj[0] if obj else None,
                project[0] if project else None,
                responsible[0] if responsible else None, deadline, type_id,
                priority[0] if priority else None, status[0], rng.random() < 0.3, lat, lng,
                rng.choice([None, None, None, "#eb5757", "#2f80ed"]), json.dumps(custom, ensure_ascii=False),
                search_text, None, created, created + timedelta(hours=rng.randint(0, 400)),
                rng.choice(people.users)[0],
            )  # fmt: skip
            yield row, [u[0] for u in assigned_users], [g[0] for g in assigned_groups], created


CASE_COLUMNS = [
    "id", "tenant_id", "number", "title", "description", "customer_id", "contact_id", "object_id",
    "project_id", "responsible_id", "deadline", "type_id", "priority_id", "status_id",
    "visible_in_portal", "lat", "lng", "color", "custom_fields", "search_text", "reply_token",
    "created_at", "updated_at", "created_by_id",
]  # fmt: skip


async def _fill(seeder: Seeder, options: Options) -> dict[str, int]:
    rng, tenant = seeder.rng, options.tenant_id
    people = await seeder.people(options)
    places = await seeder.places(options)
    counts: dict[str, int] = {}
    case_id, comment_id, event_id = (
        await seeder.next_id("cases"), await seeder.next_id("comments"), await seeder.next_id("case_events")
    )  # fmt: skip
    batch: list[tuple[Any, ...]] = []
    assigned_users: list[tuple[int, int, int]] = []
    assigned_groups: list[tuple[int, int, int]] = []
    comments: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    names = {u[0]: u[1] for u in people.users}

    async def flush() -> None:
        counts["cases"] = counts.get("cases", 0) + await seeder.copy("cases", CASE_COLUMNS, batch)
        for table, columns, rows in [
            ("case_assigned_users", ["case_id", "user_id", "tenant_id"], assigned_users),
            ("case_assigned_groups", ["case_id", "group_id", "tenant_id"], assigned_groups),
            ("comments", ["id", "tenant_id", "case_id", "author_id", "body", "created_at"], comments),
            ("case_events",
             ["id", "tenant_id", "case_id", "at", "action", "actor_user_id", "actor_contact_id", "actor_name", "changes"],
             events),
        ]:  # fmt: skip
            counts[table] = counts.get(table, 0) + await seeder.copy(table, columns, rows)
        for rows in (batch, assigned_users, assigned_groups, comments, events):
            rows.clear()

    status_names = [s[1] for s in options.statuses]
    for row, user_ids, group_ids, created in seeder.cases(options, people, places, case_id):
        batch.append(row)
        cid = row[0]
        assigned_users.extend((cid, u, tenant) for u in user_ids)
        assigned_groups.extend((cid, g, tenant) for g in group_ids)
        creator = row[-1]
        events.append(
            (event_id, tenant, cid, created, "registered", creator, None, names[creator],
             json.dumps([{"field": "title", "from": None, "to": row[3]}], ensure_ascii=False))
        )  # fmt: skip
        event_id += 1
        if rng.random() < 0.6:
            events.append(
                (event_id, tenant, cid, created + timedelta(hours=rng.randint(1, 200)), "updated",
                 creator, None, names[creator],
                 json.dumps([{"field": "status", "from": status_names[0], "to": rng.choice(status_names[1:])}],
                            ensure_ascii=False))
            )  # fmt: skip
            event_id += 1
        for k in range(rng.choices([0, 1, 2, 3, 4], weights=[3, 3, 2, 1, 1])[0]):
            author = rng.choice(people.users)
            mention = rng.choice(people.users)
            body = rng.choice(swedish.COMMENT_LINES)
            if rng.random() < 0.2:
                body = f"@{mention[2]} {body}"
            comments.append(
                (comment_id, tenant, cid, author[0], body, created + timedelta(hours=2 + 7 * k))
            )
            comment_id += 1
        if len(batch) >= 50_000:
            await flush()
    await flush()
    await seeder.connection.execute(
        "UPDATE tenants SET last_case_number = $1 WHERE id = $2", seeder.volumes.cases, tenant
    )
    counts.update(
        users=len(people.users) + 1, groups=len(people.groups), customers=len(places.customers)
    )
    counts.update(objects=len(places.objects), projects=len(places.projects))
    return counts


async def _tenant(db: Database, name: str) -> Options:
    async with db.transaction(None) as session:
        tenant, admin = await create_tenant(
            session,
            name="Nordisk Fastighetsservice AB",
            admin_email=database.ADMIN_EMAIL,
            admin_password=database.PASSWORD,
            admin_name="Anna Lindqvist",
            admin_handle="anna",
        )
        tenant_id, admin_id = tenant.id, admin.id
    connection = await asyncpg.connect(database.dsn(name))
    try:
        types = [
            (r["id"], r["name"])
            for r in await connection.fetch(
                "SELECT id, name FROM case_types WHERE tenant_id = $1 ORDER BY id", tenant_id
            )
        ]
        for type_id, name in types:
            definitions = [
                {"key": key, "label": label, "kind": kind, "required": False, "options": opts}
                for key, label, kind, opts in CUSTOM_FIELDS[name]
            ]
            await connection.execute(
                "UPDATE case_types SET fields = $1::jsonb WHERE id = $2",
                json.dumps(definitions, ensure_ascii=False),
                type_id,
            )
        statuses = [
            (r["id"], r["name"], r["closed"])
            for r in await connection.fetch(
                "SELECT id, name, closed FROM case_statuses WHERE tenant_id = $1 ORDER BY sort_order",
                tenant_id,
            )
        ]
        priorities = [
            (r["id"], r["name"])
            for r in await connection.fetch(
                "SELECT id, name FROM case_priorities WHERE tenant_id = $1 ORDER BY sort_order",
                tenant_id,
            )
        ]
    finally:
        await connection.close()
    return Options(tenant_id, admin_id, types, statuses, priorities)  # fmt: skip


async def _secondary_indexes(connection: asyncpg.Connection) -> list[tuple[str, str]]:
    """Indexes of the loaded tables that no constraint owns: safe to drop and rebuild."""
    rows = await connection.fetch(
        """SELECT indexname, indexdef FROM pg_indexes
           WHERE schemaname = 'public' AND tablename = ANY($1::text[])
             AND indexname NOT IN (SELECT conname FROM pg_constraint)""",
        LOADED_TABLES,
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def seed(name: str, cases: int, seed_value: int) -> dict[str, int]:
    await database.recreate(name)
    db = Database(database.url(name))
    try:
        await db.migrate()
        options = await _tenant(db, name)
    finally:
        await db.dispose()
    connection = await asyncpg.connect(database.dsn(name))
    try:
        # Our own fresh database: skip foreign-key triggers during the load, rebuild indexes after.
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET maintenance_work_mem = '1GB'")
        indexes = await _secondary_indexes(connection)
        for index_name, _ in indexes:
            await connection.execute(f'DROP INDEX "{index_name}"')
        counts = await _fill(Seeder(connection, Volumes(cases), seed_value), options)
        activity = await seed_activity.add(
            connection, options.tenant_id, options.admin_id, seed_value
        )
        for table, count in activity.items():
            counts[table] = counts.get(table, 0) + count
        started = time.perf_counter()
        for _, definition in indexes:
            await connection.execute(definition)
        counts["index_seconds"] = round(time.perf_counter() - started)
        for table in LOADED_TABLES:
            if await connection.fetchval(
                "SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = 'id'",
                table,
            ):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", default=database.NAME, help="a name starting workcloud_bench")
    parser.add_argument("--seed", type=int, default=7, help="random seed: same seed, same data")
    args = parser.parse_args()
    started = time.perf_counter()
    counts = asyncio.run(seed(args.database, args.cases, args.seed))
    elapsed = time.perf_counter() - started
    print(
        f"Seeded {args.database} in {elapsed:.0f} s (index rebuild {counts.pop('index_seconds')} s):"
    )
    for table, count in sorted(counts.items()):
        print(f"  {table:<22} {count:>10,}")
    print(f"Sign in as {database.ADMIN_EMAIL} / {database.PASSWORD}")


if __name__ == "__main__":
    main()
