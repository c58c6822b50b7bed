"""Saved views of the case table: whose they are, who may change them, and what they hold.

A view belongs to the user who made it; a shared one is listed and applied for everyone of
the tenant, and changed or deleted only by its owner or an administrator. Another's private
view is reported as not found, exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    CaseView,
    Contact,
    Customer,
    Group,
    Project,
    User,
    utcnow,
)
from db.models.base import Base
from domain import validation
from domain.cases.table import (
    BoundingBox,
    CaseFilter,
    CaseOrder,
    CaseOrderField,
    CaseScope,
    OrderDirection,
    checked_filter,
)
from domain.cases.tags import clean_tags
from domain.errors import Problems, UserErrorCode
from domain.viewer import Viewer

# A filter's id lists: (attribute, the input field's name, the model the ids name).
_ID_LISTS: list[tuple[str, str, type[Base]]] = [
    ("status_ids", "statusIds", CaseStatus),
    ("type_ids", "typeIds", CaseType),
    ("priority_ids", "priorityIds", CasePriority),
    ("customer_ids", "customerIds", Customer),
    ("assignee_user_ids", "assigneeUserIds", User),
    ("assignee_group_ids", "assigneeGroupIds", Group),
    ("project_ids", "projectIds", Project),
    ("object_ids", "objectIds", CaseObject),
    ("contact_ids", "contactIds", Contact),
    ("responsible_ids", "responsibleIds", User),
]
_MOMENTS = ("deadline_before", "deadline_after")
NAME_MAX_LENGTH = 200
SEARCH_MAX_LENGTH = 500


@dataclass(frozen=True)
class ViewSettings:
    """What a view applies to `cases`; `filter` and `search` None where none was saved."""

    scope: CaseScope = CaseScope.ALL
    filter: CaseFilter | None = None
    search: str | None = None
    orders: Sequence[CaseOrder] = field(default_factory=tuple)

    @classmethod
    def of(cls, row: CaseView) -> ViewSettings:
        return cls(
            scope=CaseScope(row.scope),
            filter=filter_from_json(row.filter) if row.filter is not None else None,
            search=row.search,
            orders=tuple(
                CaseOrder(CaseOrderField(o["field"]), OrderDirection(o["direction"]))
                for o in row.order_by
            ),
        )


def filter_to_json(given: CaseFilter) -> dict[str, Any]:
    """The criteria given, as JSON; the ones not given are left out."""
    saved: dict[str, Any] = {}
    for name, value in asdict(given).items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            value = list(value)
        saved[name] = value
    return saved


def filter_from_json(saved: dict[str, Any]) -> CaseFilter:
    values = dict(saved)
    for name in _MOMENTS:
        if name in values:
            values[name] = datetime.fromisoformat(values[name])
    if "within" in values:
        values["within"] = BoundingBox(**values["within"])
    return CaseFilter(**values)


async def _check_ids(session: AsyncSession, problems: Problems, given: CaseFilter) -> None:
    """Every id must name a row of the tenant (the session's scope), else NOT_FOUND."""
    for attribute, name, model in _ID_LISTS:
        ids = set(getattr(given, attribute) or ())
        if not ids:
            continue
        column: Any = model.id  # type: ignore[attr-defined]
        found = set(await session.scalars(select(column).where(column.in_(ids))))
        if ids - found:
            problems.not_found(("filter", name), "One of the ids")


async def _checked_filter(
    session: AsyncSession, problems: Problems, given: CaseFilter | None
) -> CaseFilter | None:
    """The filter as `cases(filter:)` would take it; each problem on its field."""
    if given is None:
        return None
    checked, wrong = checked_filter(given)
    for name, message in wrong.items():
        problems.invalid(("filter", name), message)
    if given.tags is not None:
        checked = replace(checked, tags=clean_tags(problems, ("filter", "tags"), given.tags))
    await _check_ids(session, problems, checked)
    return checked


def visible(viewer: Viewer) -> Any:
    """Views the viewer may see and apply: their own and the tenant's shared ones."""
    return or_(CaseView.owner_id == viewer.user_id, CaseView.shared.is_(True))


async def visible_view(
    session: AsyncSession, viewer: Viewer, view_id: int | None
) -> CaseView | None:
    if view_id is None:
        return None
    view: CaseView | None = await session.scalar(
        select(CaseView).where(CaseView.id == view_id, visible(viewer))
    )
    return view


async def views_of(session: AsyncSession, viewer: Viewer) -> list[CaseView]:
    """The viewer's views and the tenant's shared ones, by name."""
    statement = select(CaseView).where(visible(viewer)).order_by(CaseView.name, CaseView.id)
    return list(await session.scalars(statement))


async def _changeable_view(
    session: AsyncSession, viewer: Viewer, problems: Problems, view_id: int
) -> CaseView | None:
    """The view if the viewer may change it: their own, or as an administrator a shared one."""
    view = await visible_view(session, viewer, view_id)
    if view is None:
        problems.not_found("id", "The view")
    elif view.owner_id != viewer.user_id and not viewer.is_admin:
        problems.add(
            "id",
            "Only its owner or an administrator may change a shared view.",
            UserErrorCode.NOT_ALLOWED,
        )
    return view


async def save_view(
    session: AsyncSession,
    viewer: Viewer,
    view_id: int | None,
    name: str,
    settings: ViewSettings,
    shared: bool,
) -> CaseView:
    """Without `view_id` a new view of the viewer's; with one, that view saved whole."""
    owner_id = viewer.staff_user_id
    problems = Problems()
    view = (
        await _changeable_view(session, viewer, problems, view_id) if view_id is not None else None
    )
    clean_name = validation.text(
        problems, "name", name, "Name", required=True, max_length=NAME_MAX_LENGTH
    )
    search = validation.text(
        problems, "search", settings.search, "Search", max_length=SEARCH_MAX_LENGTH
    )
    given_filter = await _checked_filter(session, problems, settings.filter)
    problems.raise_if_any()
    assert clean_name is not None
    if view is None:
        view = CaseView(owner_id=owner_id, created_at=utcnow())
        session.add(view)
    view.name = clean_name
    view.shared = shared
    view.scope = settings.scope.value
    view.filter = filter_to_json(given_filter) if given_filter is not None else None
    view.search = search
    view.order_by = [
        {"field": o.field.value, "direction": o.direction.value} for o in settings.orders
    ]
    view.updated_at = utcnow()
    await session.flush()
    return view


async def delete_view(session: AsyncSession, viewer: Viewer, view_id: int | None) -> int:
    problems = Problems()
    view = await _changeable_view(session, viewer, problems, view_id or 0)
    problems.raise_if_any()
    assert view is not None
    deleted_id = view.id
    await session.delete(view)
    await session.flush()
    return deleted_id
