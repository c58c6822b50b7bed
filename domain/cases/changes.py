"""Working a case: changing its fields or customer, taking it, deleting it."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attachment,
    Case,
    CaseAssignedGroup,
    CaseObject,
    Customer,
    GroupMember,
    Project,
    utcnow,
)
from domain.absent import ABSENT
from domain.cases.event_log import Action, Actor, describe, record
from domain.cases.location import follows_links
from domain.cases.proposal import propose
from domain.cases.saving import save_proposal
from domain.cases.settings import load_settings
from domain.cases.state import CaseInput, CaseState
from domain.errors import Problems, UserErrorCode
from domain.viewer import Viewer


async def locked_case(session: AsyncSession, case_id: int | None, path: str = "id") -> Case:
    """The case, locked against concurrent changes until commit; NOT_FOUND when not ours."""
    case = None
    if case_id is not None:
        case = await session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        problems = Problems()
        problems.not_found(path, "The case")
        problems.raise_if_any()
    assert case is not None
    return case


async def _change(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    given: CaseInput,
    action: Action,
    *,
    honour_hidden: bool = True,
    retake_location: bool = False,
) -> Case:
    now = utcnow()
    settings = await load_settings(session)
    before = await CaseState.of(session, case)
    proposal = await propose(
        session,
        settings,
        before,
        given,
        registering=False,
        now=now,
        honour_hidden=honour_hidden,
        retake_location=retake_location,
    )
    await save_proposal(session, actor, case, before, proposal, action, now)
    return case


async def update_case(
    session: AsyncSession, actor: Actor, case_id: int | None, given: CaseInput
) -> Case:
    """Changes only the fields sent, checked as at registration."""
    case = await locked_case(session, case_id)
    return await _change(session, actor, case, given, Action.UPDATED)


async def change_customer(
    session: AsyncSession,
    actor: Actor,
    case_id: int | None,
    customer_id: int | None,
    contact_id: int | None,
) -> Case:
    """Moves the case to another customer (and contact); an object or project of the
    previous customer is unlinked, since it cannot belong to the new one. A location that
    came from the previous customer or object is taken anew (domain/cases/location.py)."""
    case = await locked_case(session, case_id, "caseId")
    if customer_id is None:
        problems = Problems()
        problems.required("customerId", "The customer")
        problems.raise_if_any()
    obj = await session.get(CaseObject, case.object_id) if case.object_id else None
    project = await session.get(Project, case.project_id) if case.project_id else None
    previous = await session.get(Customer, case.customer_id) if case.customer_id else None
    given = CaseInput(
        customer_id=customer_id,
        contact_id=contact_id,
        object_id=None if obj and obj.customer_id not in (None, customer_id) else ABSENT,
        project_id=None if project and project.customer_id not in (None, customer_id) else ABSENT,
    )
    return await _change(
        session,
        actor,
        case,
        given,
        Action.CUSTOMER_CHANGED,
        honour_hidden=False,
        retake_location=follows_links(case, obj, previous),
    )


async def take_case(session: AsyncSession, actor: Actor, case_id: int | None) -> Case:
    """A member of one of the case's assigned groups makes themself responsible."""
    case = await locked_case(session, case_id, "caseId")
    member_of_assigned_group = await session.scalar(
        select(
            exists()
            .where(CaseAssignedGroup.case_id == case.id)
            .where(GroupMember.group_id == CaseAssignedGroup.group_id)
            .where(GroupMember.user_id == actor.user_id)
        )
    )
    if actor.user_id is None or not member_of_assigned_group:
        problems = Problems()
        problems.add(
            "caseId",
            "Only a member of a group assigned to the case can take it.",
            UserErrorCode.NOT_ALLOWED,
        )
        problems.raise_if_any()
    if case.responsible_id == actor.user_id:
        return case
    before = await CaseState.of(session, case)
    after = before.copy()
    after.responsible_id = actor.user_id
    now = utcnow()
    case.responsible_id = actor.user_id
    case.updated_at = now
    record(session, case.id, actor, Action.TAKEN, await describe(session, before, after), now)
    await session.flush()
    return case


async def delete_case(
    session: AsyncSession, viewer: Viewer, case_id: int | None
) -> tuple[int, list[str]]:
    """An administrator, or whoever registered the case, may delete it with all it holds.

    Returns its id and the storage keys of its files, to be removed once this commits.
    """
    case = await locked_case(session, case_id)
    if not viewer.is_admin and case.created_by_id != viewer.user_id:
        problems = Problems()
        problems.add(
            "id",
            "Only an administrator or whoever registered the case may delete it.",
            UserErrorCode.NOT_ALLOWED,
        )
        problems.raise_if_any()
    deleted_id = case.id
    # Read under the case's lock, which adding attachments takes too: none is missed.
    files = list(
        await session.scalars(select(Attachment.storage_key).where(Attachment.case_id == case.id))
    )
    await session.delete(case)
    await session.flush()
    return deleted_id, files
