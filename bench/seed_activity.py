"""The seed's work on the cases: tasks, a few busy cases, and the notifications their mentions give.

Every case gets 0-4 tasks. The five newest of the cases with the most relations set (customer,
contact, object, project, type, priority, responsible, creator, assigned users and groups) are
the busy ones: 8 tasks, 120 comments, each mentioning one or two users (the bench admin in
every third), and 120 events with one to three changes each: enough for the detail page at
page sizes 5, 50 and 100. Each mention has its MENTION notification, written as
`domain.comments` writes it (not to the author); the bench admin is also told of being
assigned 100 open cases over the same days, so the admin's lobby mixes cases. Drawn from a
random stream of its own, so the rest of a seed is the same data as without it.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bench import swedish

BUSY_CASES = 5
ITEMS_PER_BUSY_CASE = 120
ASSIGNED_TO_ADMIN = 100
TASKS_PER_BUSY_CASE = 8

TASKS = [
    "Boka tid med kunden", "Beställ reservdelar", "Provkör efter åtgärd", "Fotografera skadan",
    "Kontrollera avtalet", "Skicka fakturaunderlag", "Stäng av vattnet", "Uppdatera ritningen",
    "Följ upp om en vecka", "Hämta nyckel hos fastighetsskötaren",
]  # fmt: skip
FIELDS = [
    ("status", "Registrerad", "Pågående"), ("priority", "Normal", "Hög"),
    ("deadline", None, "2026-12-10T08:00:00+00:00"), ("responsible", None, "Sara Nilsson"),
    ("title", "Läckage", "Läckage i tvättstugan"), ("assignedUsers", "", "Erik Johansson"),
]  # fmt: skip


async def _copy(
    connection: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> int:
    for start in range(0, len(rows), 200_000):
        await connection.copy_records_to_table(
            table, records=rows[start : start + 200_000], columns=columns
        )
    return len(rows)


async def _next_id(connection: asyncpg.Connection, table: str) -> int:
    return int(await connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))


async def _tasks(
    connection: asyncpg.Connection,
    rng: random.Random,
    tenant_id: int,
    user_ids: list[int],
    busy: list[int],
) -> int:
    task_id = await _next_id(connection, "tasks")
    rows = []
    for case_id in await connection.fetch("SELECT id FROM cases ORDER BY id"):
        count = rng.choices([0, 1, 2, 3, 4], weights=[3, 3, 2, 1, 1])[0]
        for position in range(TASKS_PER_BUSY_CASE if case_id["id"] in busy else count):
            assignee = rng.choice(user_ids) if rng.random() < 0.6 else None
            rows.append(
                (task_id, case_id["id"], rng.choice(TASKS), rng.random() < 0.4, assignee, position, tenant_id)
            )  # fmt: skip
            task_id += 1
    columns = ["id", "case_id", "title", "done", "assignee_id", "position", "tenant_id"]
    return await _copy(connection, "tasks", columns, rows)


async def busy_cases(connection: asyncpg.Connection, limit: int = BUSY_CASES) -> list[int]:
    """The newest of the cases with the most relations set: the busy ones, once seeded."""
    rows = await connection.fetch(
        """SELECT c.id FROM cases c
           LEFT JOIN (SELECT DISTINCT case_id FROM case_assigned_users) u ON u.case_id = c.id
           LEFT JOIN (SELECT DISTINCT case_id FROM case_assigned_groups) g ON g.case_id = c.id
           ORDER BY num_nonnulls(c.customer_id, c.contact_id, c.object_id, c.project_id,
                                 c.type_id, c.priority_id, c.responsible_id, c.created_by_id,
                                 u.case_id, g.case_id) DESC, c.number DESC
           LIMIT $1""",
        limit,
    )
    return [int(r["id"]) for r in rows]


async def add(
    connection: asyncpg.Connection, tenant_id: int, admin_id: int, seed: int
) -> dict[str, int]:
    rng = random.Random(seed + 1)
    users = [
        (int(r["id"]), str(r["name"]), str(r["handle"]))
        for r in await connection.fetch(
            "SELECT id, name, handle FROM users WHERE tenant_id = $1 ORDER BY id", tenant_id
        )
    ]
    admin = next(u for u in users if u[0] == admin_id)
    staff = [u for u in users if u[0] != admin_id]
    busy = await busy_cases(connection)
    counts = {"tasks": await _tasks(connection, rng, tenant_id, [u[0] for u in staff], busy)}

    comment_id = await _next_id(connection, "comments")
    event_id = await _next_id(connection, "case_events")
    comments: list[tuple[Any, ...]] = []
    mentions: list[tuple[int, int, int]] = []
    events: list[tuple[Any, ...]] = []
    # (created at, recipient, kind, actor, case, comment); ids follow time, as they do live.
    notifications: list[tuple[datetime, int, str, int | None, int, int | None]] = []
    for case_id in busy:
        created = await connection.fetchval("SELECT created_at FROM cases WHERE id = $1", case_id)
        for k in range(ITEMS_PER_BUSY_CASE):
            at = created + timedelta(hours=k + 1, minutes=rng.randint(0, 50))
            author = rng.choice(staff)
            mentioned = rng.sample(staff, rng.randint(1, 2))
            if k % 3 == 0:
                mentioned[0] = admin
            body = " ".join(f"@{m[2]}" for m in mentioned) + " " + rng.choice(swedish.COMMENT_LINES)
            comments.append((comment_id, tenant_id, case_id, author[0], body, at))
            for m in {m[0]: m for m in mentioned}.values():
                mentions.append((comment_id, m[0], tenant_id))
                if m[0] != author[0]:
                    notifications.append((at, m[0], "MENTION", author[0], case_id, comment_id))
            comment_id += 1
            actor = rng.choice(staff)
            changes = [
                {"field": f, "from": before, "to": after}
                for f, before, after in rng.sample(FIELDS, rng.randint(1, 3))
            ]
            events.append(
                (event_id, tenant_id, case_id, at + timedelta(minutes=5), "UPDATED", actor[0], None,
                 actor[1], json.dumps(changes, ensure_ascii=False))
            )  # fmt: skip
            event_id += 1

    window_end = max(n[0] for n in notifications)
    window = (window_end - min(n[0] for n in notifications)).total_seconds()
    for row in await connection.fetch(
        """SELECT c.id, c.created_by_id FROM cases c JOIN case_statuses s ON s.id = c.status_id
           WHERE NOT s.closed ORDER BY c.number DESC OFFSET $1 LIMIT $2""",
        BUSY_CASES * 4,
        ASSIGNED_TO_ADMIN,
    ):
        at = window_end - timedelta(seconds=rng.random() * window)
        notifications.append((at, admin_id, "ASSIGNED", row["created_by_id"], row["id"], None))
    notifications.sort(key=lambda n: (n[0], n[1]))
    first = await _next_id(connection, "notifications")
    read_before = window_end - timedelta(days=1)
    notification_rows = [
        (first + i, tenant_id, recipient, kind, at, at if at < read_before else None, actor,
         case_id, comment)
        for i, (at, recipient, kind, actor, case_id, comment) in enumerate(notifications)
    ]  # fmt: skip

    counts["comments"] = await _copy(
        connection, "comments",
        ["id", "tenant_id", "case_id", "author_id", "body", "created_at"], comments,
    )  # fmt: skip
    counts["comment_mentions"] = await _copy(
        connection, "comment_mentions", ["comment_id", "user_id", "tenant_id"], mentions
    )
    counts["case_events"] = await _copy(
        connection, "case_events",
        ["id", "tenant_id", "case_id", "at", "action", "actor_user_id", "actor_contact_id",
         "actor_name", "changes"],
        events,
    )  # fmt: skip
    counts["notifications"] = await _copy(
        connection, "notifications",
        ["id", "tenant_id", "recipient_id", "kind", "created_at", "read_at", "actor_id",
         "case_id", "comment_id"],
        notification_rows,
    )  # fmt: skip
    return counts
