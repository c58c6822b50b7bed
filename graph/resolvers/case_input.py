"""The inputs that register or change a case, and their translation to the domain's CaseInput."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from domain.cases.state import CaseInput
from domain.presence import ABSENT
from graph.ids import our_pk
from graph.types.common import GeoPointInput

UNSET: Any = strawberry.UNSET

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
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    object_id: strawberry.ID | None = UNSET
    project_id: strawberry.ID | None = UNSET
    title: str | None = UNSET
    description: str | None = UNSET
    assigned_user_ids: list[strawberry.ID] | None = UNSET
    assigned_group_ids: list[strawberry.ID] | None = UNSET
    responsible_id: strawberry.ID | None = UNSET
    deadline: datetime | None = UNSET
    type_id: strawberry.ID | None = UNSET
    priority_id: strawberry.ID | None = UNSET
    status_id: strawberry.ID | None = UNSET
    send_confirmation: bool | None = UNSET
    visible_in_portal: bool | None = UNSET
    task_template_ids: list[strawberry.ID] | None = UNSET
    form_template_ids: list[strawberry.ID] | None = UNSET
    location: GeoPointInput | None = UNSET
    color: str | None = UNSET
    custom_fields: list[CustomFieldValueInput] | None = UNSET


def _translate(value: Any, type_name: str | None) -> Any:
    if value is None or type_name is None:
        return value
    if isinstance(value, list):
        return [our_pk(v, type_name) for v in value]
    return our_pk(value, type_name)


def case_input(given: RegisterCaseInput | UpdateCaseInput) -> CaseInput:
    values: dict[str, Any] = {}
    for name, (attribute, type_name) in _FIELDS.items():
        value = getattr(given, name)
        values[attribute] = ABSENT if value is UNSET else _translate(value, type_name)
    location = given.location
    values["location"] = (
        ABSENT
        if location is UNSET
        else (location.lat, location.lng)
        if location is not None
        else None
    )
    fields: Sequence[CustomFieldValueInput] | None = given.custom_fields
    values["custom_fields"] = (
        ABSENT
        if fields is UNSET
        else [(f.key, f.value) for f in fields]
        if fields is not None
        else None
    )
    return CaseInput(**values)
