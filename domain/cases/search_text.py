"""`cases.search_text`: the lower-cased text of every table-view column, kept current on write.

Search is then one substring match on one (trigram-indexed) column instead of a join over
eight tables. Its tags come last, in the case's order. Whatever changes a case calls
`refresh_search_text`; whatever renames
something that cases show calls `refresh_search_text_where` for the cases concerned, which
recomputes them all in one UPDATE, however many there are: the same text, composed in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseTag,
    CaseType,
    Contact,
    Customer,
    Group,
    Project,
    Tag,
    User,
)
from domain.cases.names import names_by_id

# The tables a case names, by the case's column; each has `id` and `name`.
_NAMED: list[tuple[Any, str]] = [
    (Customer, "customer_id"),
    (Contact, "contact_id"),
    (CaseObject, "object_id"),
    (Project, "project_id"),
    (CaseType, "type_id"),
    (CaseStatus, "status_id"),
    (CasePriority, "priority_id"),
]


def compose(case: Case, names: Iterable[str | None]) -> str:
    """The search text of `case`: its number, title and description, then the names it shows
    (its options', its assignees' sorted, its tags in order)."""
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


async def _tag_names(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = await session.execute(
        select(CaseTag.case_id, Tag.name)
        .join(Tag, Tag.id == CaseTag.tag_id)
        .where(CaseTag.case_id.in_(case_ids))
        .order_by(CaseTag.case_id, CaseTag.position, CaseTag.tag_id)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for case_id, name in rows:
        names[case_id].append(name)
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
    tags = await _tag_names(session, [c.id for c in cases])
    for case in cases:
        own = [named[attribute].get(getattr(case, attribute)) for _model, attribute in _NAMED]
        shown = [*own, *sorted(assignees.get(case.id, [])), *tags.get(case.id, [])]
        case.search_text = compose(case, shown)
    await session.flush()


def _assignee_names_in_sql(dialect: str) -> Any:
    """The case's assignees' names (users and groups), sorted as `sorted` sorts them (by code
    point) and joined by newlines; NULL when there are none."""
    # Correlated explicitly: inside a derived table SQLAlchemy would otherwise add `cases`
    # to its FROM, and every case would take the assignees of all of them.
    users = (
        select(User.name.label("name"))
        .where(CaseAssignedUser.case_id == Case.id, User.id == CaseAssignedUser.user_id)
        .correlate(Case)
    )
    groups = (
        select(Group.name.label("name"))
        .where(CaseAssignedGroup.case_id == Case.id, Group.id == CaseAssignedGroup.group_id)
        .correlate(Case)
    )
    names = users.union_all(groups).subquery()
    if dialect == "postgresql":
        by_code_point = names.c.name.collate("C")
        return select(
            func.string_agg(names.c.name, aggregate_order_by(literal("\n"), by_code_point))
        ).scalar_subquery()
    # SQLite has no ORDER BY inside an aggregate before 3.44; it aggregates in the order
    # of an ordered subquery (BINARY: UTF-8 bytes, which sort as code points do).
    ordered = select(names.c.name).order_by(names.c.name).subquery()
    return select(func.group_concat(ordered.c.name, "\n")).scalar_subquery()


def _tag_names_in_sql(dialect: str) -> Any:
    """The case's tags in its order, joined by newlines; NULL when it has none."""
    if dialect == "postgresql":
        in_order = aggregate_order_by(literal("\n"), CaseTag.position, CaseTag.tag_id)
        return (
            select(func.string_agg(Tag.name, in_order))
            .where(CaseTag.case_id == Case.id, Tag.id == CaseTag.tag_id)
            .correlate(Case)
            .scalar_subquery()
        )
    ordered = (
        select(Tag.name.label("name"))
        .where(CaseTag.case_id == Case.id, Tag.id == CaseTag.tag_id)
        .order_by(CaseTag.position, CaseTag.tag_id)
        .correlate(Case)
        .subquery()
    )
    return select(func.group_concat(ordered.c.name, "\n")).scalar_subquery()


def _composed_in_sql(dialect: str) -> Any:
    """`compose` as an SQL expression over the case's row."""
    parts: list[Any] = [func.nullif(Case.title, ""), func.nullif(Case.description, "")]
    for model, attribute in _NAMED:
        parts.append(
            select(model.name).where(model.id == getattr(Case, attribute)).scalar_subquery()
        )
    parts.append(_assignee_names_in_sql(dialect))
    parts.append(_tag_names_in_sql(dialect))
    text: Any = cast(Case.number, String)
    for part in parts:
        text = text + func.coalesce(literal("\n") + part, "")
    return func.lower(text, type_=String)


async def refresh_search_text_where(session: AsyncSession, which: ColumnElement[bool]) -> None:
    """`refresh_search_text` for every case matching `which`, in one statement.

    Loaded cases keep their previous `search_text` in memory; nothing reads it there.
    """
    await session.flush()
    dialect = session.get_bind().dialect.name
    await session.execute(
        update(Case)
        .where(which)
        .values(search_text=_composed_in_sql(dialect))
        .execution_options(synchronize_session=False)
    )
