"""The database: engine, sessions (tenant-scoped or system-wide) and schema migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, exc, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import db.tenancy  # noqa: F401  (registers the tenant-scoping listeners)
from config.settings import DatabasePooler
from db.tenancy import TENANT_KEY

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    # SQLite's own lower() folds only ASCII; search must fold å, ä, ö too.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _closed_by_the_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuses a pooled connection the server has closed; the pool then opens a new one.

    PostgreSQL closes its end when it restarts or a backend is terminated, and asyncpg sees
    that without a round trip. A pre-ping costs three (BEGIN, `;`, ROLLBACK) on every
    checkout; a connection that dies silently fails its statement instead, which
    invalidates the whole pool, and the next checkout connects anew.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


def _unnamed() -> str:
    return ""


def _sqlite_begin_write(connection: Connection) -> None:
    # Take the write lock up front: a deferred transaction that later writes can fail
    # with "database is locked" instead of waiting its turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_read(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


class Database:
    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        pooler: DatabasePooler = "none",
    ) -> None:
        """`pooler`: "pgbouncer" where `url` names a pooler in transaction mode."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # JSON columns (custom fields, type definitions) are read on every table-view row.
        options: dict[str, Any] = {
            "echo": echo,
            "json_deserializer": orjson.loads,
            # A failed statement's error (and so the log) never carries its values: they
            # can be tokens, e-mail addresses, message bodies.
            "hide_parameters": True,
        }
        if not self.is_sqlite:
            # Connections beyond the pool are closed when returned; under steady concurrency
            # above `pool_size` each request would pay for a new connection.
            options.update(pool_size=pool_size, max_overflow=20)
            # asyncpg prepares every statement, and after five runs PostgreSQL may settle on
            # a generic plan that ignores the values: then `search_text LIKE '%läck%'` (one
            # case in sixteen) or a map box over Stockholm takes the trigram or lat/lng index
            # and sorts 60,000 rows (0.4-1.1 s at a million cases) where walking the newest
            # first finds a page in 4 ms. Plan each run with its values (measured at a million
            # cases: the Stockholm map box 1.1 s with plans cached, 20 ms planned per run).
            options["connect_args"] = {"server_settings": {"plan_cache_mode": "force_custom_plan"}}
            if pooler == "pgbouncer":
                # A pooler in transaction mode gives each transaction (each statement,
                # outside one) whichever server connection is free: a statement prepared
                # earlier may be missing there, and a named one would stay behind on a
                # server connection that other clients go on using. So neither asyncpg nor
                # SQLAlchemy keeps prepared statements, and each one is the unnamed one,
                # which asyncpg then sends with its values in one message (parse, bind,
                # execute, sync): it runs where it is parsed, and the next one replaces it.
                # Planned with its values each time, it needs no plan setting (PgBouncer
                # refuses a connection that asks for one).
                options["connect_args"] = {
                    "statement_cache_size": 0,
                    "prepared_statement_cache_size": 0,
                    "prepared_statement_name_func": _unnamed,
                }
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if not self.is_sqlite:
            event.listen(self.engine.sync_engine, "checkout", _closed_by_the_server)
        # Reads never hold SQLite's write lock; on PostgreSQL both are one engine.
        self.read_engine = self.engine
        if self.is_sqlite:
            self.read_engine = create_async_engine(url, **options)
            for engine, begin in [
                (self.engine, _sqlite_begin_write),
                (self.read_engine, _sqlite_begin_read),
            ]:
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
                event.listen(engine.sync_engine, "begin", begin)
        self._writes = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reads = async_sessionmaker(self.read_engine, expire_on_commit=False)

    def session(self, tenant_id: int | None) -> AsyncSession:
        """A session for reading, scoped to `tenant_id`; None only for sign-in and jobs."""
        return _scoped(self._reads(), tenant_id)

    @asynccontextmanager
    async def transaction(self, tenant_id: int | None) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error."""
        async with _scoped(self._writes(), tenant_id) as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        async with self.engine.begin() as connection:
            await connection.run_sync(self._upgrade)

    def _upgrade(self, connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Instances starting together migrate one after the other.
            connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        config = alembic_config(self.url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


async def single_statement(session: AsyncSession) -> None:
    """Lets a session that reads with one statement run it outside a transaction.

    On PostgreSQL that saves the BEGIN and ROLLBACK round trips around it; a single
    statement sees one snapshot either way. Does nothing once the session has begun.
    """
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _scoped(session: AsyncSession, tenant_id: int | None) -> AsyncSession:
    if tenant_id is not None:
        session.info[TENANT_KEY] = tenant_id
    return session
