"""The table and map views: which cases a viewer asks for, in which order.

Builds one statement (the case, then one column per sort key) for keyset pagination.
Every order ends with the case id, so the order is total and pages never skip or repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, exists, func, or_, select

from db.models import (
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CasePriority,
    CaseStatus,
    CaseTag,
    CaseType,
    Customer,
    GroupMember,
    Tag,
    User,
    utcnow,
)
from db.pagination import SortKey
from domain import validation
from domain.search_patterns import like_pattern
from domain.sla.due_columns import breached, unmet_due_column


class CaseScope(StrEnum):
    MINE = "MINE"
    ALL = "ALL"


class CaseOrderField(StrEnum):
    NUMBER = "NUMBER"
    TITLE = "TITLE"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    DEADLINE = "DEADLINE"
    PRIORITY = "PRIORITY"
    STATUS = "STATUS"
    TYPE = "TYPE"
    CUSTOMER = "CUSTOMER"
    RESPONSIBLE = "RESPONSIBLE"
    SLA_DUE = "SLA_DUE"  # the earliest due time of an SLA target not met yet; none last


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class CaseOrder:
    field: CaseOrderField
    direction: OrderDirection = OrderDirection.ASC


@dataclass(frozen=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float

    def problem(self) -> str | None:
        """What makes this no window on the map, if anything."""
        if not (-90 <= self.south <= self.north <= 90):
            return "`within` needs -90 <= south <= north <= 90."
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            return "`within` needs west and east within ±180."
        return None


@dataclass(frozen=True)
class CaseFilter:
    """Every criterion narrows the result; None means "any"."""

    status_ids: Sequence[int] | None = None
    type_ids: Sequence[int] | None = None
    priority_ids: Sequence[int] | None = None
    customer_ids: Sequence[int] | None = None
    assignee_user_ids: Sequence[int] | None = None
    assignee_group_ids: Sequence[int] | None = None
    project_ids: Sequence[int] | None = None
    object_ids: Sequence[int] | None = None
    contact_ids: Sequence[int] | None = None
    responsible_ids: Sequence[int] | None = None
    open: bool | None = None
    deadline_before: datetime | None = None
    deadline_after: datetime | None = None
    within: BoundingBox | None = None
    tags: Sequence[str] | None = None  # a case has them all, in any letter case
    sla_breached: bool | None = None  # an SLA target not met when due (false: none)


def checked_filter(given: CaseFilter) -> tuple[CaseFilter, dict[str, str]]:
    """The filter with its moments in UTC, and what is wrong with it, by its field's name."""
    problems: dict[str, str] = {}

    def in_utc(moment: datetime | None, name: str) -> datetime | None:
        converted = validation.utc(moment) if moment is not None else None
        if moment is not None and converted is None:
            problems[name] = f"`{name}` must fall within the years 1-9999 in UTC."
        return converted

    checked = replace(
        given,
        deadline_before=in_utc(given.deadline_before, "deadlineBefore"),
        deadline_after=in_utc(given.deadline_after, "deadlineAfter"),
    )
    box_problem = given.within.problem() if given.within is not None else None
    if box_problem is not None:
        problems["within"] = box_problem
    return checked, problems


NEWEST_FIRST = (CaseOrder(CaseOrderField.CREATED_AT, OrderDirection.DESC),)


@dataclass
class _Joins:
    """The option tables an order needs, joined once each."""

    models: list[Any] = field(default_factory=list)

    def need(self, model: Any) -> Any:
        if model not in self.models:
            self.models.append(model)
        return model


_JOIN_ON: dict[Any, ColumnElement[bool]] = {
    CasePriority: CasePriority.id == Case.priority_id,
    CaseStatus: CaseStatus.id == Case.status_id,
    CaseType: CaseType.id == Case.type_id,
    Customer: Customer.id == Case.customer_id,
    User: User.id == Case.responsible_id,
}


# Orders by the case's own NOT NULL columns: no NULLS LAST, so their indexes serve both ways.
_NEVER_NULL = {CaseOrderField.NUMBER, CaseOrderField.CREATED_AT, CaseOrderField.UPDATED_AT}


def _sort_expression(order: CaseOrderField, joins: _Joins) -> Any:
    match order:
        case CaseOrderField.NUMBER:
            return Case.number
        case CaseOrderField.TITLE:
            return func.lower(Case.title, type_=String)
        case CaseOrderField.CREATED_AT:
            return Case.created_at
        case CaseOrderField.UPDATED_AT:
            return Case.updated_at
        case CaseOrderField.DEADLINE:
            return Case.deadline
        case CaseOrderField.PRIORITY:
            return joins.need(CasePriority).order
        case CaseOrderField.STATUS:
            return joins.need(CaseStatus).order
        case CaseOrderField.TYPE:
            return func.lower(joins.need(CaseType).name, type_=String)
        case CaseOrderField.CUSTOMER:
            return func.lower(joins.need(Customer).name, type_=String)
        case CaseOrderField.RESPONSIBLE:
            return func.lower(joins.need(User).name, type_=String)
        case CaseOrderField.SLA_DUE:
            return unmet_due_column()


def mine(user_id: int) -> ColumnElement[bool]:
    """I am responsible, an assignee, or a member of an assigned group."""
    assigned = exists().where(
        CaseAssignedUser.case_id == Case.id, CaseAssignedUser.user_id == user_id
    )
    via_group = exists().where(
        CaseAssignedGroup.case_id == Case.id,
        GroupMember.group_id == CaseAssignedGroup.group_id,
        GroupMember.user_id == user_id,
    )
    return or_(Case.responsible_id == user_id, assigned, via_group)


def _criteria(given: CaseFilter) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = []
    for column, ids in (
        (Case.status_id, given.status_ids),
        (Case.type_id, given.type_ids),
        (Case.priority_id, given.priority_ids),
        (Case.customer_id, given.customer_ids),
        (Case.project_id, given.project_ids),
        (Case.object_id, given.object_ids),
        (Case.contact_id, given.contact_ids),
        (Case.responsible_id, given.responsible_ids),
    ):
        if ids is not None:
            criteria.append(column.in_(ids))
    if given.assignee_user_ids is not None:
        criteria.append(
            exists().where(
                CaseAssignedUser.case_id == Case.id,
                CaseAssignedUser.user_id.in_(given.assignee_user_ids),
            )
        )
    if given.assignee_group_ids is not None:
        criteria.append(
            exists().where(
                CaseAssignedGroup.case_id == Case.id,
                CaseAssignedGroup.group_id.in_(given.assignee_group_ids),
            )
        )
    if given.open is not None:
        closed = select(CaseStatus.id).where(CaseStatus.closed.is_(True))
        criteria.append(Case.status_id.not_in(closed) if given.open else Case.status_id.in_(closed))
    if given.deadline_before is not None:
        criteria.append(Case.deadline < given.deadline_before)
    if given.deadline_after is not None:
        criteria.append(Case.deadline > given.deadline_after)
    if given.within is not None:
        criteria.append(inside(Case.lat, Case.lng, given.within))
    if given.sla_breached is not None:
        any_breach = breached(utcnow())
        criteria.append(any_breach if given.sla_breached else ~any_breach)
    for key in dict.fromkeys(t.strip().lower() for t in given.tags or ()):
        criteria.append(
            exists().where(
                CaseTag.case_id == Case.id, Tag.id == CaseTag.tag_id, Tag.name_key == key
            )
        )
    return criteria


def inside(lat: Any, lng: Any, box: BoundingBox) -> ColumnElement[bool]:
    """A place within the box; one across the antimeridian has west > east: it wraps around."""
    east_of_west = (
        lng.between(box.west, box.east)
        if box.west <= box.east
        else or_(lng >= box.west, lng <= box.east)
    )
    return and_(lat.between(box.south, box.north), east_of_west)


def table_statement(
    *,
    user_id: int,
    scope: CaseScope,
    given: CaseFilter | None,
    search: str | None,
    orders: Sequence[CaseOrder],
) -> tuple[Select[Any], list[SortKey]]:
    """The statement and sort keys for `fetch_page`; `search` is found anywhere in a case's
    `search_text`, blanks around it ignored, and a blank search finds every case."""
    search = search.strip() if search else None
    joins = _Joins()
    keys = [
        SortKey(
            _sort_expression(o.field, joins),
            o.direction is OrderDirection.DESC,
            nullable=o.field not in _NEVER_NULL,
        )
        for o in orders or NEWEST_FIRST
    ]
    keys.append(SortKey(Case.id, keys[-1].descending, nullable=False))
    statement: Select[Any] = select(Case, *(k.expression for k in keys))
    for model in joins.models:
        statement = statement.outerjoin(model, _JOIN_ON[model])
    if scope is CaseScope.MINE:
        statement = statement.where(mine(user_id))
    if given is not None:
        statement = statement.where(*_criteria(given))
    if search:
        statement = statement.where(Case.search_text.like(like_pattern(search), escape="\\"))
    return statement, keys
