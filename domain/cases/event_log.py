"""The event log of a case: who did what and when, with each change as readable text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.fitting import fitted
from db.models import (
    CaseEvent,
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Customer,
    Group,
    Project,
    User,
    utcnow,
)
from domain.cases.names import names_by_id
from domain.cases.state import CaseState
from domain.viewer import Viewer
from domain.webhooks import note_case_changes


class Action(StrEnum):
    REGISTERED = "REGISTERED"
    UPDATED = "UPDATED"
    CUSTOMER_CHANGED = "CUSTOMER_CHANGED"
    TAKEN = "TAKEN"
    CONFIRMATION_SENT = "CONFIRMATION_SENT"
    TASK_ADDED = "TASK_ADDED"
    TASK_DONE = "TASK_DONE"
    TASK_REOPENED = "TASK_REOPENED"
    TASK_ASSIGNED = "TASK_ASSIGNED"
    FORM_ANSWERED = "FORM_ANSWERED"
    CUSTOMER_MESSAGE_SENT = "CUSTOMER_MESSAGE_SENT"
    CUSTOMER_MESSAGE_RECEIVED = "CUSTOMER_MESSAGE_RECEIVED"
    SMS_SENT = "SMS_SENT"
    LINKED = "LINKED"
    UNLINKED = "UNLINKED"
    MERGED_INTO = "MERGED_INTO"
    MERGED_FROM = "MERGED_FROM"
    TAGS_CHANGED = "TAGS_CHANGED"


@dataclass(frozen=True)
class Actor:
    """Who an event is by: a staff user, a portal contact, or the system itself."""

    user_id: int | None = None
    contact_id: int | None = None
    name: str = "System"

    @classmethod
    def of(cls, viewer: Viewer) -> Actor:
        return cls(user_id=viewer.user_id, contact_id=viewer.contact_id, name=viewer.name)


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"field": self.field, "from": self.before, "to": self.after}


def record(
    session: AsyncSession,
    case_id: int,
    actor: Actor,
    action: Action,
    changes: Sequence[Change] = (),
    at: datetime | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case_id,
        at=at or utcnow(),
        action=action.value,
        actor_user_id=actor.user_id,
        actor_contact_id=actor.contact_id,
        actor_name=fitted(CaseEvent.actor_name, actor.name),
        changes=[c.to_json() for c in changes],
    )
    session.add(event)
    note_case_changes(session, case_id, event.changes)
    return event


# CaseState attribute -> (field name in the log, the model its id names, if any)
_FIELDS: dict[str, tuple[str, Any]] = {
    "title": ("title", None),
    "description": ("description", None),
    "customer_id": ("customer", Customer),
    "contact_id": ("contact", Contact),
    "object_id": ("object", CaseObject),
    "project_id": ("project", Project),
    "assigned_user_ids": ("assignedUsers", User),
    "assigned_group_ids": ("assignedGroups", Group),
    "responsible_id": ("responsible", User),
    "deadline": ("deadline", None),
    "type_id": ("type", CaseType),
    "priority_id": ("priority", CasePriority),
    "status_id": ("status", CaseStatus),
    "visible_in_portal": ("visibleInPortal", None),
    "location": ("location", None),
    "color": ("color", None),
}


def as_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return f"{value[0]}, {value[1]}"
    return str(value)


async def _named(session: AsyncSession, model: Any, value: Any) -> str | None:
    if value is None or value == ():
        return None
    ids = list(value) if isinstance(value, tuple) else [value]
    names = await names_by_id(session, model, ids)
    return ", ".join(sorted(names.get(i, f"#{i} (removed)") for i in ids))


async def describe(session: AsyncSession, before: CaseState, after: CaseState) -> list[Change]:
    """What differs between two states, by name rather than id."""
    changes: list[Change] = []
    for attribute, (field, model) in _FIELDS.items():
        old, new = getattr(before, attribute), getattr(after, attribute)
        if old == new:
            continue
        if model is None:
            changes.append(Change(field, as_text(old), as_text(new)))
        else:
            changes.append(
                Change(field, await _named(session, model, old), await _named(session, model, new))
            )
    for key in sorted(before.custom_fields.keys() | after.custom_fields.keys()):
        old_value, new_value = before.custom_fields.get(key), after.custom_fields.get(key)
        if old_value != new_value:
            changes.append(Change(f"customFields.{key}", old_value, new_value))
    return changes
