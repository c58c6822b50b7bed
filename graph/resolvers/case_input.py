"""The inputs that register or change a case, and their translation to the domain's CaseInput."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.absent import ABSENT
from domain.cases.state import CaseInput
from graph.ids import our_pk
from graph.types.base import NOT_SENT, GeoPointInput, sent

# Input attribute -> (CaseInput attribute, global-id type name of its ids, if any)
_FIELDS: dict[str, tuple[str, str | None]] = {
    "customer_id": ("customer_id", "Customer"),
    "contact_id": ("contact_id", "Contact"),
    "object_id": ("object_id", "CaseObject"),
    "project_id": ("project_id", "Project"),
    "title": ("title", None),
    "description": ("description", None),
    "assigned_user_ids": ("assigned_user_ids", "User"),
    "assigned_group_ids": ("assigned_group_ids", "Group"),
    "responsible_id": ("responsible_id", "User"),
    "deadline": ("deadline", None),
    "type_id": ("type_id", "CaseType"),
    "priority_id": ("priority_id", "CasePriority"),
    "status_id": ("status_id", "CaseStatus"),
    "send_confirmation": ("send_confirmation", None),
    "visible_in_portal": ("visible_in_portal", None),
    "task_template_ids": ("task_template_ids", "TaskTemplate"),
    "form_template_ids": ("form_template_ids", "FormTemplate"),
    "color": ("color", None),
}


@strawberry.input
class CustomFieldValueInput:
    key: str
    value: str | None = strawberry.field(
        default=None, description="As text; NUMBER, DATE (YYYY-MM-DD) and BOOLEAN are checked."
    )


@strawberry.input(
    description="Every field is optional here; the tenant's settings say which are required."
)
class RegisterCaseInput:
    customer_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    object_id: strawberry.ID | None = None
    project_id: strawberry.ID | None = None
    title: str | None = None
    description: str | None = None
    assigned_user_ids: list[strawberry.ID] | None = None
    assigned_group_ids: list[strawberry.ID] | None = None
    responsible_id: strawberry.ID | None = None
    deadline: datetime | None = None
    type_id: strawberry.ID | None = None
    priority_id: strawberry.ID | None = None
    status_id: strawberry.ID | None = None
    send_confirmation: bool | None = None
    visible_in_portal: bool | None = None
    task_template_ids: list[strawberry.ID] | None = None
    form_template_ids: list[strawberry.ID] | None = None
    location: GeoPointInput | None = None
    color: str | None = None
    custom_fields: list[CustomFieldValueInput] | None = None


@strawberry.input(description="Only the fields sent change; null clears a field.")
class UpdateCaseInput:
    id: strawberry.ID
    customer_id: strawberry.ID | None = NOT_SENT
    contact_id: strawberry.ID | None = NOT_SENT
    object_id: strawberry.ID | None = NOT_SENT
    project_id: strawberry.ID | None = NOT_SENT
    title: str | None = NOT_SENT
    description: str | None = NOT_SENT
    assigned_user_ids: list[strawberry.ID] | None = NOT_SENT
    assigned_group_ids: list[strawberry.ID] | None = NOT_SENT
    responsible_id: strawberry.ID | None = NOT_SENT
    deadline: datetime | None = NOT_SENT
    type_id: strawberry.ID | None = NOT_SENT
    priority_id: strawberry.ID | None = NOT_SENT
    status_id: strawberry.ID | None = NOT_SENT
    send_confirmation: bool | None = NOT_SENT
    visible_in_portal: bool | None = NOT_SENT
    task_template_ids: list[strawberry.ID] | None = NOT_SENT
    form_template_ids: list[strawberry.ID] | None = NOT_SENT
    location: GeoPointInput | None = NOT_SENT
    color: str | None = NOT_SENT
    custom_fields: list[CustomFieldValueInput] | None = NOT_SENT


def _translate(value: Any, type_name: str | None) -> Any:
    if value is None or type_name is None:
        return value
    if isinstance(value, list):
        return [our_pk(v, type_name) for v in value]
    return our_pk(value, type_name)


def case_input(given: RegisterCaseInput | UpdateCaseInput) -> CaseInput:
    values: dict[str, Any] = {}
    for name, (attribute, type_name) in _FIELDS.items():
        value = sent(getattr(given, name))
        values[attribute] = value if value is ABSENT else _translate(value, type_name)
    location = sent(given.location)
    values["location"] = (location.lat, location.lng) if location else location
    fields = sent(given.custom_fields)
    values["custom_fields"] = [(f.key, f.value) for f in fields] if fields else fields
    return CaseInput(**values)
