"""`workcloud demo`: a tenant a person can click through, with retired things beside active ones."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from db.engine import Database
from db.models import Case, CaseObject, Customer, Project, User
from workcloud.demo import create_demo


async def test_the_demo_shows_archived_and_active_things(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    logins = await create_demo(url)
    assert [kind for kind, _, _ in logins].count("member (deactivated)") == 1
    db = Database(url)
    try:
        async with db.session(None) as session:
            for model in (Customer, CaseObject, Project):
                archived = await session.scalar(
                    select(func.count()).where(model.archived_at.is_not(None))
                )
                active = await session.scalar(
                    select(func.count()).where(model.archived_at.is_(None))
                )
                assert archived == 1, model
                assert active and active > 1, model
            inactive = await session.scalar(select(func.count()).where(User.active.is_(False)))
            assert inactive == 1
            # The archived customer keeps its cases.
            archived_customer = await session.scalar(
                select(Customer.id).where(Customer.archived_at.is_not(None))
            )
            kept = await session.scalar(
                select(func.count()).where(Case.customer_id == archived_customer)
            )
            assert kept is not None and kept > 0
    finally:
        await db.dispose()
