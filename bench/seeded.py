"""The seeded rows the read benchmarks ask for: the tenant, a status, a busy case, the lobby's viewer."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bench import database, seed_activity

# The table view's filter: one status of the tenant's defaults (3,400 of 100,000 cases).
STATUS = "Pågående"
# Enough for every page size the benchmarks ask for (the API caps pages at 100).
ENOUGH = 100


@dataclass(frozen=True)
class Seeded:
    tenant_pk: int
    status_pk: int
    case_pk: int  # the detail page's: every relation set, 120 comments and events
    viewer_pk: int  # the bench admin, whose lobby holds 300 notifications


async def _status(connection: asyncpg.Connection) -> tuple[int, int]:
    status = await connection.fetchrow(
        "SELECT tenant_id, id FROM case_statuses WHERE name = $1 ORDER BY id LIMIT 1", STATUS
    )
    if status is None:
        raise SystemExit("the bench database has no cases: run `python -m bench.seed` first")
    return int(status["tenant_id"]), int(status["id"])


async def _find(connection: asyncpg.Connection) -> Seeded:
    tenant_pk, status_pk = await _status(connection)
    busy = await seed_activity.busy_cases(connection, 1)
    viewer = await connection.fetchval(
        "SELECT id FROM users WHERE email = $1", database.ADMIN_EMAIL
    )
    comments = await connection.fetchval(
        "SELECT count(*) FROM comments WHERE case_id = $1", busy[0]
    )
    notifications = await connection.fetchval(
        "SELECT count(*) FROM notifications WHERE recipient_id = $1", viewer
    )
    if comments < ENOUGH or notifications < ENOUGH:
        raise SystemExit(
            "the bench database has no busy case or lobby (seeded before they were added): "
            "run `python -m bench.seed` again"
        )
    return Seeded(tenant_pk, status_pk, busy[0], int(viewer))


async def find() -> Seeded:
    """The rows, with this process's global ids made the ones the bench servers give out."""
    connection = await asyncpg.connect(database.dsn())
    try:
        seeded = await _find(connection)
    finally:
        await connection.close()
    await database.use_id_key()
    return seeded


async def table_view_keys() -> tuple[int, int]:
    """The tenant and the status the table view filters on; global ids as `find`."""
    connection = await asyncpg.connect(database.dsn())
    try:
        keys = await _status(connection)
    finally:
        await connection.close()
    await database.use_id_key()
    return keys
