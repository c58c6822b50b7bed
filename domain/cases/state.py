"""What a registration or a change may set on a case: the input sent, and the case's state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseAssignedGroup, CaseAssignedUser
from domain.absent import ABSENT, Maybe
from domain.cases.settings import CaseField

# The CaseInput / CaseState attribute each registration field sets.
ATTRIBUTE: dict[CaseField, str] = {
    CaseField.TITLE: "title",
    CaseField.DESCRIPTION: "description",
    CaseField.CUSTOMER: "customer_id",
    CaseField.CONTACT: "contact_id",
    CaseField.OBJECT: "object_id",
    CaseField.ASSIGNED_USERS: "assigned_user_ids",
    CaseField.ASSIGNED_GROUPS: "assigned_group_ids",
    CaseField.RESPONSIBLE: "responsible_id",
    CaseField.DEADLINE: "deadline",
    CaseField.TYPE: "type_id",
    CaseField.PRIORITY: "priority_id",
    CaseField.STATUS: "status_id",
    CaseField.SEND_CONFIRMATION: "send_confirmation",
    CaseField.VISIBLE_IN_PORTAL: "visible_in_portal",
    CaseField.LOCATION: "location",
    CaseField.COLOR: "color",
}


@dataclass(frozen=True)
class CaseInput:
    """What a client sent; ABSENT where it sent nothing. Ids are primary keys of our rows."""

    customer_id: Maybe[int | None] = ABSENT
    contact_id: Maybe[int | None] = ABSENT
    object_id: Maybe[int | None] = ABSENT
    project_id: Maybe[int | None] = ABSENT
    title: Maybe[str | None] = ABSENT
    description: Maybe[str | None] = ABSENT
    assigned_user_ids: Maybe[Sequence[int] | None] = ABSENT
    assigned_group_ids: Maybe[Sequence[int] | None] = ABSENT
    responsible_id: Maybe[int | None] = ABSENT
    deadline: Maybe[datetime | None] = ABSENT
    type_id: Maybe[int | None] = ABSENT
    priority_id: Maybe[int | None] = ABSENT
    status_id: Maybe[int | None] = ABSENT
    send_confirmation: Maybe[bool | None] = ABSENT
    visible_in_portal: Maybe[bool | None] = ABSENT
    task_template_ids: Maybe[Sequence[int] | None] = ABSENT
    form_template_ids: Maybe[Sequence[int] | None] = ABSENT
    location: Maybe[tuple[float, float] | None] = ABSENT
    color: Maybe[str | None] = ABSENT
    # (key, value as text) in the order sent; a null value clears the field.
    custom_fields: Maybe[Sequence[tuple[str, str | None]] | None] = ABSENT

    def sent(self, attribute: str) -> bool:
        return getattr(self, attribute) is not ABSENT


@dataclass
class CaseState:
    """The settable part of a case, compared before and after a change for the event log."""

    title: str = ""
    description: str | None = None
    customer_id: int | None = None
    contact_id: int | None = None
    object_id: int | None = None
    project_id: int | None = None
    assigned_user_ids: tuple[int, ...] = ()
    assigned_group_ids: tuple[int, ...] = ()
    responsible_id: int | None = None
    deadline: datetime | None = None
    type_id: int | None = None
    priority_id: int | None = None
    status_id: int | None = None
    visible_in_portal: bool = False
    location: tuple[float, float] | None = None
    color: str | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)
    # Where the location came from (domain/cases/location.py); not a change of its own.
    location_source: str | None = field(default=None, compare=False)

    def copy(self) -> CaseState:
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        values["custom_fields"] = dict(self.custom_fields)
        return CaseState(**values)

    @classmethod
    async def of(cls, session: AsyncSession, case: Case) -> CaseState:
        users = await session.scalars(
            select(CaseAssignedUser.user_id).where(CaseAssignedUser.case_id == case.id)
        )
        groups = await session.scalars(
            select(CaseAssignedGroup.group_id).where(CaseAssignedGroup.case_id == case.id)
        )
        return cls(
            title=case.title,
            description=case.description,
            customer_id=case.customer_id,
            contact_id=case.contact_id,
            object_id=case.object_id,
            project_id=case.project_id,
            assigned_user_ids=tuple(sorted(users.all())),
            assigned_group_ids=tuple(sorted(groups.all())),
            responsible_id=case.responsible_id,
            deadline=case.deadline,
            type_id=case.type_id,
            priority_id=case.priority_id,
            status_id=case.status_id,
            visible_in_portal=case.visible_in_portal,
            location=(case.lat, case.lng)
            if case.lat is not None and case.lng is not None
            else None,
            color=case.color,
            custom_fields=dict(case.custom_fields or {}),
            location_source=case.location_source,
        )

    def apply_to(self, case: Case) -> None:
        """Sets the case's own columns; assignees are rows of their own (`save_assignees`)."""
        assert self.status_id is not None
        case.title = self.title
        case.description = self.description
        case.customer_id = self.customer_id
        case.contact_id = self.contact_id
        case.object_id = self.object_id
        case.project_id = self.project_id
        case.responsible_id = self.responsible_id
        case.deadline = self.deadline
        case.type_id = self.type_id
        case.priority_id = self.priority_id
        case.status_id = self.status_id
        case.visible_in_portal = self.visible_in_portal
        case.lat, case.lng = self.location or (None, None)
        case.location_source = self.location_source if self.location else None
        case.color = self.color
        case.custom_fields = dict(self.custom_fields)


async def save_assignees(
    session: AsyncSession, case_id: int, before: CaseState, after: CaseState
) -> None:
    gone_users = set(before.assigned_user_ids) - set(after.assigned_user_ids)
    gone_groups = set(before.assigned_group_ids) - set(after.assigned_group_ids)
    if gone_users:
        await session.execute(
            delete(CaseAssignedUser).where(
                CaseAssignedUser.case_id == case_id, CaseAssignedUser.user_id.in_(gone_users)
            )
        )
    if gone_groups:
        await session.execute(
            delete(CaseAssignedGroup).where(
                CaseAssignedGroup.case_id == case_id, CaseAssignedGroup.group_id.in_(gone_groups)
            )
        )
    session.add_all(
        CaseAssignedUser(case_id=case_id, user_id=u)
        for u in sorted(set(after.assigned_user_ids) - set(before.assigned_user_ids))
    )
    session.add_all(
        CaseAssignedGroup(case_id=case_id, group_id=g)
        for g in sorted(set(after.assigned_group_ids) - set(before.assigned_group_ids))
    )
    await session.flush()
