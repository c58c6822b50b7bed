"""The benchmark seeder writes what the domain would: a small seed, checked case by case."""

from __future__ import annotations

import os

import asyncpg
import pytest
from sqlalchemy import select

from bench import database
from bench.seed import seed
from db.engine import Database
from db.models import Case
from domain.cases.search_text import refresh_search_text
from tests.conftest import PG_ADMIN_DSN, REQUIRE_SERVICES, services_problem


async def test_seeded_search_text_is_what_the_domain_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = await services_problem()
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"POSTGRESQL HALF SKIPPED: {problem}")
    # The test server, not a bench server: the seeder must need nothing but the database it makes.
    monkeypatch.setattr(database, "ADMIN_DSN", PG_ADMIN_DSN)
    name = f"workcloud_bench_check{os.getpid()}"
    try:
        counts = await seed(name, 300, 7)
        assert counts["cases"] == 300
        db = Database(database.url(name))
        try:
            async with db.session(None) as session:
                cases = list((await session.scalars(select(Case).order_by(Case.id))).all())
                seeded = {case.id: case.search_text for case in cases}
                await refresh_search_text(session, cases)
                rewritten = {case.id: case.search_text for case in cases}
                await session.rollback()
        finally:
            await db.dispose()
        assert seeded == rewritten
    finally:
        connection = await asyncpg.connect(database.ADMIN_DSN)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
