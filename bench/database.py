"""The dedicated benchmark database and the sign-in the seeder leaves in it."""

from __future__ import annotations

import hashlib
import os
import secrets

import asyncpg

from config.settings import Settings
from db.engine import Database
from graph.id_key import load_id_key

# The server holding the bench database; only the database named below is ever created or dropped.
ADMIN_DSN = os.environ.get(
    "WORKCLOUD_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
NAME = os.environ.get("WORKCLOUD_BENCH_DATABASE", "workcloud_bench")
ADMIN_EMAIL = "bench-admin@bench.workcloud.se"
PASSWORD = "bench-password-1"


def _checked(name: str) -> str:
    if not name.startswith("workcloud_bench") or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to touch {name!r}: bench databases are named workcloud_bench*")
    return name


def dsn(name: str = NAME) -> str:
    """asyncpg / libpq form."""
    return f"{ADMIN_DSN.rsplit('/', 1)[0]}/{_checked(name)}"


def url(name: str = NAME) -> str:
    """SQLAlchemy form, for the app's WORKCLOUD_DATABASE_URL."""
    return dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)


async def use_id_key(name: str = NAME) -> None:
    """Makes this process's global ids the ones servers on the bench database give out."""
    db = Database(url(name))
    try:
        await db.migrate()  # a database seeded before the id key existed gets it now
        await load_id_key(db, Settings().id_key)
    finally:
        await db.dispose()


async def recreate(name: str = NAME) -> None:
    name = _checked(name)
    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def exists(name: str = NAME) -> bool:
    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        return bool(
            await connection.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", _checked(name)
            )
        )
    finally:
        await connection.close()


async def mint_tokens(count: int, name: str = NAME) -> list[tuple[int, str, str]]:
    """(user id, handle, bearer token) for up to `count` bench users, stored as sign-in stores them.

    Signing in runs Argon2 per user on purpose; the fan-out benchmark needs hundreds of
    viewers, so it writes their tokens directly (SHA-256, as `domain.signin` keeps them).
    """
    connection = await asyncpg.connect(dsn(name))
    try:
        users = await connection.fetch(
            "SELECT id, tenant_id, handle FROM users WHERE active ORDER BY id LIMIT $1", count
        )
        minted = []
        for user in users:
            token = secrets.token_urlsafe(32)
            await connection.execute(
                """INSERT INTO access_tokens (token_hash, tenant_id, user_id, created_at, expires_at)
                   VALUES ($1, $2, $3, now(), now() + interval '1 day')""",
                hashlib.sha256(token.encode()).hexdigest(), user["tenant_id"], user["id"],
            )  # fmt: skip
            minted.append((int(user["id"]), str(user["handle"]), token))
        return minted
    finally:
        await connection.close()
