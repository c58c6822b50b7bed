"""`cases.search_text`: the lower-cased text of every table-view column, kept current on write.

Search is then one substring match on one (trigram-indexed) column instead of a join over
eight tables. Whatever changes a case calls `refresh_search_text`; whatever renames an
option that cases show calls `refresh_search_text_where` for the cases concerned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Customer,
    Group,
    User,
)
from domain.cases.names import names_by_id

_BATCH = 500
_NAMED = [
    (Customer, "customer_id"),
    (Contact, "contact_id"),
    (CaseObject, "object_id"),
    (CaseType, "type_id"),
    (CaseStatus, "status_id"),
    (CasePriority, "priority_id"),
]


def compose(case: Case, names: Iterable[str | None]) -> str:
    """The search text of `case`: its number, title and description, then the names it shows."""
    parts = [str(case.number), case.title, case.description, *names]
    return "\n".join(p for p in parts if p).lower()


async def _assignee_names(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[str]]:
    users = (
        await session.execute(
            select(CaseAssignedUser.case_id, CaseAssignedUser.user_id).where(
                CaseAssignedUser.case_id.in_(case_ids)
            )
        )
    ).all()
    groups = (
        await session.execute(
            select(CaseAssignedGroup.case_id, CaseAssignedGroup.group_id).where(
                CaseAssignedGroup.case_id.in_(case_ids)
            )
        )
    ).all()
    user_names = await names_by_id(session, User, (u for _, u in users))
    group_names = await names_by_id(session, Group, (g for _, g in groups))
    names: dict[int, list[str]] = defaultdict(list)
    for case_id, user_id in users:
        names[case_id].append(user_names[user_id])
    for case_id, group_id in groups:
        names[case_id].append(group_names[group_id])
    return names


async def refresh_search_text(session: AsyncSession, cases: Sequence[Case]) -> None:
    """Recomputes the cases' `search_text` from their columns and what they name."""
    await session.flush()
    named = {
        attribute: await names_by_id(
            session, model, (v for c in cases if (v := getattr(c, attribute)) is not None)
        )
        for model, attribute in _NAMED
    }
    assignees = await _assignee_names(session, [c.id for c in cases])
    for case in cases:
        own = [named[attribute].get(getattr(case, attribute)) for _model, attribute in _NAMED]
        case.search_text = compose(case, [*own, *sorted(assignees.get(case.id, []))])
    await session.flush()


async def refresh_search_text_where(session: AsyncSession, which: ColumnElement[bool]) -> None:
    """`refresh_search_text` for every case matching `which`, a batch at a time."""
    await session.flush()
    ids = list((await session.scalars(select(Case.id).where(which).order_by(Case.id))).all())
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        cases = list((await session.scalars(select(Case).where(Case.id.in_(chunk)))).all())
        await refresh_search_text(session, cases)
