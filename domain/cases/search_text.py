"""`cases.search_text`: the lower-cased text of every table-view column, kept current on write.

Search is then one substring match on one (trigram-indexed) column instead of a join over
eight tables. Whatever changes a case, or renames an option cases show, calls
`refresh_search_text` for the cases concerned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

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
    parts = [str(case.number), case.title, case.description, *names]
    return "\n".join(p for p in parts if p).lower()


async def _names_by_id(session: AsyncSession, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {id_: name for id_, name in rows}


async def _assignee_names(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    users = await session.execute(
        select(CaseAssignedUser.case_id, User.name)
        .join(User, User.id == CaseAssignedUser.user_id)
        .where(CaseAssignedUser.case_id.in_(case_ids))
        .order_by(User.name)
    )
    groups = await session.execute(
        select(CaseAssignedGroup.case_id, Group.name)
        .join(Group, Group.id == CaseAssignedGroup.group_id)
        .where(CaseAssignedGroup.case_id.in_(case_ids))
        .order_by(Group.name)
    )
    for case_id, name in [*users, *groups]:
        names[case_id].append(name)
    return names


async def _refresh(session: AsyncSession, cases: Sequence[Case]) -> None:
    named = {
        attribute: await _names_by_id(
            session, model, {v for c in cases if (v := getattr(c, attribute)) is not None}
        )
        for model, attribute in _NAMED
    }
    assignees = await _assignee_names(session, [c.id for c in cases])
    for case in cases:
        own = [named[attribute].get(getattr(case, attribute)) for _model, attribute in _NAMED]
        case.search_text = compose(case, [*own, *assignees.get(case.id, [])])


async def refresh_search_text(session: AsyncSession, which: ColumnElement[bool]) -> None:
    """Recomputes `search_text` of the cases matching `which` (flush their changes first)."""
    await session.flush()
    ids = list((await session.scalars(select(Case.id).where(which).order_by(Case.id))).all())
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        cases = list((await session.scalars(select(Case).where(Case.id.in_(chunk)))).all())
        await _refresh(session, cases)
    await session.flush()
