"""Linked cases: related, duplicate, parent and child. One link per pair, seen from each side.

A link is stored once, from the lower case id's side. A case has at most one parent, and no
case is its own ancestor. Both rules hold under concurrent requests: the pair's case rows
are locked (in id order) and everything is checked again under the locks; on PostgreSQL
every new parent link of a tenant also takes one advisory lock, since a cycle can close
across pairs that share no case.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Integer, and_, func, literal, not_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from db.models import Case, CaseLink, utcnow
from db.tenancy import session_tenant
from domain.cases.event_log import Action, Actor, Change, record
from domain.cases.merging import locked_cases, refuse_merged
from domain.errors import Problems


class LinkKind(StrEnum):
    RELATES_TO = "RELATES_TO"
    DUPLICATE_OF = "DUPLICATE_OF"
    DUPLICATED_BY = "DUPLICATED_BY"
    PARENT_OF = "PARENT_OF"
    CHILD_OF = "CHILD_OF"

    @property
    def inverse(self) -> LinkKind:
        return _INVERSE[self]


_INVERSE = {
    LinkKind.RELATES_TO: LinkKind.RELATES_TO,
    LinkKind.DUPLICATE_OF: LinkKind.DUPLICATED_BY,
    LinkKind.DUPLICATED_BY: LinkKind.DUPLICATE_OF,
    LinkKind.PARENT_OF: LinkKind.CHILD_OF,
    LinkKind.CHILD_OF: LinkKind.PARENT_OF,
}
# The field a link shows as in the event log; the value is the other case's number.
_LOGGED_AS = {
    LinkKind.RELATES_TO: "relatesTo",
    LinkKind.DUPLICATE_OF: "duplicateOf",
    LinkKind.DUPLICATED_BY: "duplicatedBy",
    LinkKind.PARENT_OF: "parentOf",
    LinkKind.CHILD_OF: "childOf",
}
# Key space of pg_advisory_xact_lock(int, int) (apart from the one-key locks): tenant's tree.
_HIERARCHY_LOCK = 0x4C4E4B


def seen_from(stored: str, lower_side: bool) -> LinkKind:
    """The kind of a stored link as one of its cases sees it."""
    kind = LinkKind(stored)
    return kind if lower_side else kind.inverse


async def link_cases(
    session: AsyncSession,
    actor: Actor,
    case_id: int | None,
    other_case_id: int | None,
    kind: LinkKind,
) -> Case:
    """Links two cases, replacing any link the pair had. Returns the first case."""
    if kind in (LinkKind.PARENT_OF, LinkKind.CHILD_OF):
        await _serialize_hierarchy(session)
    case, other = await _pair(session, case_id, other_case_id, linking=True)
    lower, higher = sorted((case, other), key=lambda c: c.id)
    link = await session.get(CaseLink, (lower.id, higher.id))
    stored = kind if case is lower else kind.inverse
    if link is not None and link.kind == stored:
        return case
    if kind in (LinkKind.PARENT_OF, LinkKind.CHILD_OF):
        parent, child = (case, other) if kind is LinkKind.PARENT_OF else (other, case)
        await _check_hierarchy(session, parent.id, child.id, (lower.id, higher.id))

    before = LinkKind(link.kind) if link is not None else None
    if link is None:
        session.add(CaseLink(case_id=lower.id, other_case_id=higher.id, kind=stored.value))
    else:
        link.kind = stored.value
    now = utcnow()
    for side, seen_by, lower_side in [(lower, higher, True), (higher, lower, False)]:
        number = str(seen_by.number)
        changes = []
        if before is not None:
            changes.append(Change(_LOGGED_AS[seen_from(before, lower_side)], number, None))
        changes.append(Change(_LOGGED_AS[seen_from(stored, lower_side)], None, number))
        side.updated_at = now
        record(session, side.id, actor, Action.LINKED, changes, now)
    await session.flush()
    return case


async def unlink_cases(
    session: AsyncSession, actor: Actor, case_id: int | None, other_case_id: int | None
) -> Case:
    """Removes the pair's link, if there is one. Returns the first case."""
    case, other = await _pair(session, case_id, other_case_id, linking=False)
    lower, higher = sorted((case, other), key=lambda c: c.id)
    link = await session.get(CaseLink, (lower.id, higher.id))
    if link is None:
        return case
    now = utcnow()
    for side, seen_by, lower_side in [(lower, higher, True), (higher, lower, False)]:
        change = Change(_LOGGED_AS[seen_from(link.kind, lower_side)], str(seen_by.number), None)
        side.updated_at = now
        record(session, side.id, actor, Action.UNLINKED, [change], now)
    await session.delete(link)
    await session.flush()
    return case


async def _pair(
    session: AsyncSession, case_id: int | None, other_case_id: int | None, *, linking: bool
) -> tuple[Case, Case]:
    """Both cases, locked; NOT_FOUND when not the viewer's tenant's."""
    found = await locked_cases(session, [i for i in (case_id, other_case_id) if i is not None])
    case = found.get(case_id) if case_id is not None else None
    other = found.get(other_case_id) if other_case_id is not None else None
    problems = Problems()
    if case is None:
        problems.not_found("caseId", "The case")
    if other is None:
        problems.not_found("otherCaseId", "The other case")
    elif other is case:
        problems.invalid("otherCaseId", "A case cannot be linked to itself.")
    elif linking:
        refuse_merged(problems, case, "caseId")
        refuse_merged(problems, other, "otherCaseId")
    problems.raise_if_any()
    assert case is not None and other is not None
    return case, other


async def _serialize_hierarchy(session: AsyncSession) -> None:
    """One new parent link at a time per tenant (PostgreSQL; SQLite serialises all writers)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    tenant_id = session_tenant(session.sync_session) or 0
    await session.execute(
        select(
            func.pg_advisory_xact_lock(
                literal(_HIERARCHY_LOCK, Integer), literal(tenant_id, Integer)
            )
        )
    )


async def _check_hierarchy(
    session: AsyncSession, parent_id: int, child_id: int, pair: tuple[int, int]
) -> None:
    """INVALID on `kind` for a second parent or a cycle; the pair's own link, about to be
    replaced, does not count."""
    problems = Problems()
    edges = _parent_edges(pair, "edges")
    has_parent = await session.scalar(
        select(func.count()).select_from(edges).where(edges.c.child == child_id)
    )
    if has_parent:
        problems.invalid("kind", "The case already has a parent; unlink it first.")
    elif await _is_ancestor(session, child_id, parent_id, pair):
        problems.invalid("kind", "A case cannot be its own ancestor.")
    problems.raise_if_any()


def _parent_edges(pair: tuple[int, int], name: str) -> Subquery:
    """(child, parent) for every parent link but the pair's."""
    others = not_(and_(CaseLink.case_id == pair[0], CaseLink.other_case_id == pair[1]))
    as_child = select(
        CaseLink.case_id.label("child"), CaseLink.other_case_id.label("parent")
    ).where(CaseLink.kind == LinkKind.CHILD_OF.value, others)
    as_parent = select(
        CaseLink.other_case_id.label("child"), CaseLink.case_id.label("parent")
    ).where(CaseLink.kind == LinkKind.PARENT_OF.value, others)
    return union_all(as_child, as_parent).subquery(name)


async def _is_ancestor(
    session: AsyncSession, candidate: int, of: int, pair: tuple[int, int]
) -> bool:
    start = _parent_edges(pair, "start_edges")
    ancestors = (
        select(start.c.parent.label("id"))
        .where(start.c.child == of)
        .cte("ancestors", recursive=True)
    )
    step = _parent_edges(pair, "step_edges")
    ancestors = ancestors.union(
        select(step.c.parent).join(ancestors, step.c.child == ancestors.c.id)
    )
    found = await session.scalar(
        select(func.count()).select_from(ancestors).where(ancestors.c.id == candidate)
    )
    return bool(found)
