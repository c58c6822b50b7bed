"""Who is told about a case: its responsible user, or where none, whoever is assigned to it.

The rule has two forms that must agree: `recipients_of` for one case, and
`recipients_of_each` for every case of a query at once, in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CTE

from db.models import Case, CaseAssignedGroup, CaseAssignedUser, GroupMember
from domain.notifications import assignees_of


async def recipients_of(session: AsyncSession, case: Case) -> set[int]:
    """The responsible user, or where none, the assignees and members of assigned groups."""
    if case.responsible_id is not None:
        return {case.responsible_id}
    return await assignees_of(session, case.id)


def recipients_of_each(
    cases: CTE, columns: Sequence[ColumnElement[Any]]
) -> CompoundSelect[*tuple[Any, ...]]:
    """`recipients_of` for every case of `cases` (with its `id` and `responsible_id`):
    `columns` of each case, then `recipient_id`, one row per recipient."""
    responsible = select(*columns, cases.c.responsible_id.label("recipient_id")).where(
        cases.c.responsible_id.is_not(None)
    )
    assigned = (
        select(*columns, CaseAssignedUser.user_id)
        .join(CaseAssignedUser, CaseAssignedUser.case_id == cases.c.id)
        .where(cases.c.responsible_id.is_(None))
    )
    through_groups = (
        select(*columns, GroupMember.user_id)
        .join(CaseAssignedGroup, CaseAssignedGroup.case_id == cases.c.id)
        .join(GroupMember, GroupMember.group_id == CaseAssignedGroup.group_id)
        .where(cases.c.responsible_id.is_(None))
    )
    return union(responsible, assigned, through_groups)
