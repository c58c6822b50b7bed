"""Registering a case: on a customer, on an object, from a project, or internal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Tenant, utcnow
from domain.cases.event_log import Action, Actor
from domain.cases.proposal import propose
from domain.cases.saving import save_proposal
from domain.cases.settings import load_settings, tenant_of
from domain.cases.state import CaseInput, CaseState
from domain.reply_addresses import new_reply_token


async def next_case_number(session: AsyncSession) -> int:
    """The tenant's next case number; the row lock it takes is held until commit.

    Concurrent registrations queue on the tenant row, so numbers are unique and gapless.
    """
    number = await session.scalar(
        update(Tenant)
        .where(Tenant.id == tenant_of(session))
        .values(last_case_number=Tenant.last_case_number + 1)
        .returning(Tenant.last_case_number)
    )
    assert number is not None
    return int(number)


async def register_case(
    session: AsyncSession, actor: Actor, given: CaseInput, *, now: datetime | None = None
) -> Case:
    now = now or utcnow()
    settings = await load_settings(session)
    before = CaseState()
    proposal = await propose(session, settings, before, given, registering=True, now=now)
    # Numbered last: the tenant row stays locked only for the writes that follow.
    case = Case(
        number=await next_case_number(session),
        reply_token=new_reply_token(),
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
        search_text="",
    )
    proposal.state.apply_to(case)
    session.add(case)
    await session.flush()
    await save_proposal(session, actor, case, before, proposal, Action.REGISTERED, now)
    return case
