"""The case module's settings and dropdown options: types, priorities, statuses, templates."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select

from db import models
from domain.cases.settings import ID_FIELDS, ID_LIST_FIELDS, CaseField, ModuleSettings
from domain.custom_fields import FieldDefinition, FieldKind, definitions_of
from graph.ids import our_pk, to_global_id
from graph.types.base import Node

strawberry.enum(CaseField, name="CaseField")
strawberry.enum(FieldKind, name="CustomFieldKind")

# The global-id type of each id-valued field's default.
DEFAULT_ID_TYPE: dict[CaseField, str] = {
    CaseField.CUSTOMER: "Customer",
    CaseField.CONTACT: "Contact",
    CaseField.OBJECT: "CaseObject",
    CaseField.RESPONSIBLE: "User",
    CaseField.TYPE: "CaseType",
    CaseField.PRIORITY: "CasePriority",
    CaseField.STATUS: "CaseStatus",
    CaseField.ASSIGNED_USERS: "User",
    CaseField.ASSIGNED_GROUPS: "Group",
}
assert DEFAULT_ID_TYPE.keys() == ID_FIELDS.keys() | ID_LIST_FIELDS.keys()


def default_value_out(field: CaseField, stored: str | None) -> str | None:
    """Stored defaults hold primary keys; clients see global ids, comma-separated."""
    type_name = DEFAULT_ID_TYPE.get(field)
    if stored is None or type_name is None:
        return stored
    return ",".join(to_global_id(type_name, int(pk)) for pk in stored.split(",") if pk)


def default_value_in(field: CaseField, given: str) -> str:
    type_name = DEFAULT_ID_TYPE.get(field)
    if type_name is None:
        return given
    return ",".join(str(our_pk(g.strip(), type_name)) for g in given.split(",") if g.strip())


@strawberry.type
class CustomFieldDefinition:
    key: str
    label: str
    kind: FieldKind
    required: bool
    options: list[str]

    @classmethod
    def from_domain(cls, d: FieldDefinition) -> CustomFieldDefinition:
        return cls(
            key=d.key, label=d.label, kind=d.kind, required=d.required, options=list(d.options)
        )


@strawberry.type
class FormQuestion:
    key: str
    label: str
    kind: FieldKind
    required: bool
    options: list[str]

    @classmethod
    def from_domain(cls, d: FieldDefinition) -> FormQuestion:
        return cls(
            key=d.key, label=d.label, kind=d.kind, required=d.required, options=list(d.options)
        )


@strawberry.type
class CaseType(Node):
    name: str
    color: str | None
    active: bool
    fields: list[CustomFieldDefinition]
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.CaseType) -> CaseType:
        return cls(
            id=strawberry.ID(to_global_id("CaseType", row.id)),
            pk=row.id,
            name=row.name,
            color=row.color,
            active=row.active,
            fields=[CustomFieldDefinition.from_domain(d) for d in definitions_of(row.fields)],
        )


@strawberry.type
class CasePriority(Node):
    name: str
    color: str | None
    order: int
    active: bool
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.CasePriority) -> CasePriority:
        return cls(
            id=strawberry.ID(to_global_id("CasePriority", row.id)),
            pk=row.id,
            name=row.name,
            color=row.color,
            order=row.order,
            active=row.active,
        )


@strawberry.type
class CaseStatus(Node):
    name: str
    color: str | None
    order: int
    active: bool
    closed: bool
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.CaseStatus) -> CaseStatus:
        return cls(
            id=strawberry.ID(to_global_id("CaseStatus", row.id)),
            pk=row.id,
            name=row.name,
            color=row.color,
            order=row.order,
            active=row.active,
            closed=row.closed,
        )


@strawberry.type
class TaskTemplate(Node):
    name: str
    tasks: list[str]
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.TaskTemplate) -> TaskTemplate:
        return cls(
            id=strawberry.ID(to_global_id("TaskTemplate", row.id)),
            pk=row.id,
            name=row.name,
            tasks=list(row.tasks or []),
        )


@strawberry.type
class FormTemplate(Node):
    name: str
    questions: list[FormQuestion]
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.FormTemplate) -> FormTemplate:
        return cls(
            id=strawberry.ID(to_global_id("FormTemplate", row.id)),
            pk=row.id,
            name=row.name,
            questions=[FormQuestion.from_domain(q) for q in definitions_of(row.questions)],
        )


@strawberry.type
class CaseFieldSetting:
    field: CaseField
    visible: bool
    required: bool
    default_value: str | None = strawberry.field(
        description="Text; for an id-valued field the option's id (ids separated by commas)."
    )


@strawberry.type
class CaseTabs:
    events: bool
    customer_conversations: bool
    tasks: bool
    forms: bool


async def _all(info: strawberry.Info, model: Any, *order: Any) -> list[Any]:
    rows = await info.context.scope.read(lambda s: s.scalars(select(model).order_by(*order)))
    return list(rows.all())


@strawberry.type
class CaseModuleSettings:
    fields: list[CaseFieldSetting]
    tabs: CaseTabs
    sms_enabled: bool
    reminder_lead_minutes: int

    @strawberry.field(description="Every case type, active or not, by name.")
    async def types(self, info: strawberry.Info) -> list[CaseType]:
        rows = await _all(info, models.CaseType, models.CaseType.name, models.CaseType.id)
        return [CaseType.from_row(r) for r in rows]

    @strawberry.field(description="Every priority, in their configured order.")
    async def priorities(self, info: strawberry.Info) -> list[CasePriority]:
        model = models.CasePriority
        rows = await _all(info, model, model.order, model.id)
        return [CasePriority.from_row(r) for r in rows]

    @strawberry.field(description="Every status, in their configured order.")
    async def statuses(self, info: strawberry.Info) -> list[CaseStatus]:
        rows = await _all(info, models.CaseStatus, models.CaseStatus.order, models.CaseStatus.id)
        return [CaseStatus.from_row(r) for r in rows]

    @strawberry.field
    async def task_templates(self, info: strawberry.Info) -> list[TaskTemplate]:
        model = models.TaskTemplate
        rows = await _all(info, model, model.name, model.id)
        return [TaskTemplate.from_row(r) for r in rows]

    @strawberry.field
    async def form_templates(self, info: strawberry.Info) -> list[FormTemplate]:
        model = models.FormTemplate
        rows = await _all(info, model, model.name, model.id)
        return [FormTemplate.from_row(r) for r in rows]

    @classmethod
    def from_domain(cls, settings: ModuleSettings) -> CaseModuleSettings:
        tabs = settings.tabs
        return cls(
            fields=[
                CaseFieldSetting(
                    field=field,
                    visible=s.visible,
                    required=s.required,
                    default_value=default_value_out(field, s.default),
                )
                for field, s in settings.fields.items()
            ],
            tabs=CaseTabs(
                events=tabs.events,
                customer_conversations=tabs.customer_conversations,
                tasks=tabs.tasks,
                forms=tabs.forms,
            ),
            sms_enabled=settings.sms_enabled,
            reminder_lead_minutes=settings.reminder_lead_minutes,
        )
