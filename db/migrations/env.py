"""Alembic environment: runs on the connection handed over by `Database.migrate`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from config.settings import get_settings
from db.engine import Database
from db.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    settings = get_settings()
    url = config.get_main_option("sqlalchemy.url") or settings.database_url
    database = Database(url, pooler=settings.database_pooler)
    async with database.engine.begin() as connection:
        await connection.run_sync(run_on)
    await database.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_standalone())
