"""Groups of staff users: creating, renaming, replacing the members, deleting."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseAssignedGroup, Group, GroupMember, User, utcnow
from domain import validation
from domain.absent import ABSENT, Maybe
from domain.cases.event_log import Action, Actor, describe, record
from domain.cases.search_text import refresh_search_text, refresh_search_text_where
from domain.cases.state import CaseState
from domain.errors import Problems


async def _members(
    session: AsyncSession, problems: Problems, member_ids: Sequence[int | None]
) -> list[int]:
    """The users to make members; one not of this tenant is NOT_FOUND, an inactive one
    INVALID (as when assigning a case: a group is how cases reach people)."""
    wanted = {i for i in member_ids if i is not None}
    rows = (await session.execute(select(User.id, User.active).where(User.id.in_(wanted)))).all()
    if None in member_ids or {id_ for id_, _ in rows} != wanted:
        problems.not_found("memberIds", "A member")
    elif not all(active for _, active in rows):
        problems.invalid("memberIds", "A member is no longer active.")
    return sorted(wanted)


async def _group(
    session: AsyncSession, problems: Problems, group_id: int | None, path: str
) -> Group:
    group = await session.get(Group, group_id) if group_id is not None else None
    if group is None:
        problems.not_found(path, "The group")
        problems.raise_if_any()
    assert group is not None
    return group


async def create_group(session: AsyncSession, name: str, member_ids: Sequence[int | None]) -> Group:
    problems = Problems()
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    members = await _members(session, problems, member_ids)
    problems.raise_if_any()
    assert clean_name
    group = Group(name=clean_name)
    session.add(group)
    await session.flush()
    session.add_all(GroupMember(group_id=group.id, user_id=user_id) for user_id in members)
    await session.flush()
    return group


async def update_group(
    session: AsyncSession, group_id: int | None, name: Maybe[str | None] = ABSENT
) -> Group:
    """Renames the group; the cases it is assigned to are found by the new name at once."""
    problems = Problems()
    group = await _group(session, problems, group_id, "id")
    if name is ABSENT:
        return group
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    problems.raise_if_any()
    assert clean_name
    if clean_name != group.name:
        group.name = clean_name
        await session.flush()
        assigned = select(CaseAssignedGroup.case_id).where(CaseAssignedGroup.group_id == group.id)
        await refresh_search_text_where(session, Case.id.in_(assigned))
    return group


async def set_group_members(
    session: AsyncSession, group_id: int | None, member_ids: Sequence[int | None]
) -> Group:
    """Replaces the members; who may take a case, and whose cases are MINE, follow at once."""
    problems = Problems()
    group = await _group(session, problems, group_id, "groupId")
    members = await _members(session, problems, member_ids)
    problems.raise_if_any()
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    session.add_all(GroupMember(group_id=group.id, user_id=user_id) for user_id in members)
    await session.flush()
    return group


async def delete_group(session: AsyncSession, actor: Actor, group_id: int | None) -> int:
    """Deletes the group; each case it was assigned to loses it, and logs that."""
    problems = Problems()
    group = await _group(session, problems, group_id, "id")
    assigned = select(CaseAssignedGroup.case_id).where(CaseAssignedGroup.group_id == group.id)
    cases = list(
        (
            await session.scalars(
                select(Case).where(Case.id.in_(assigned)).order_by(Case.id).with_for_update()
            )
        ).all()
    )
    now = utcnow()
    for case in cases:
        before = await CaseState.of(session, case)
        after = before.copy()
        after.assigned_group_ids = tuple(g for g in before.assigned_group_ids if g != group.id)
        # Described while the group still exists, so the log names it.
        record(session, case.id, actor, Action.UPDATED, await describe(session, before, after), now)
        case.updated_at = now
    deleted_id = group.id
    await session.execute(delete(CaseAssignedGroup).where(CaseAssignedGroup.group_id == deleted_id))
    await session.execute(delete(GroupMember).where(GroupMember.group_id == deleted_id))
    await session.delete(group)
    await session.flush()
    if cases:
        await refresh_search_text(session, cases)
    return deleted_id
