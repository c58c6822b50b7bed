"""The case module's settings per tenant: registration fields, dropdown options, tabs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Base,
    CaseModuleSettingsRow,
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Customer,
    Group,
    User,
)
from db.tenancy import session_tenant


class CaseField(StrEnum):
    TITLE = "TITLE"
    DESCRIPTION = "DESCRIPTION"
    CUSTOMER = "CUSTOMER"
    CONTACT = "CONTACT"
    OBJECT = "OBJECT"
    ASSIGNED_USERS = "ASSIGNED_USERS"
    ASSIGNED_GROUPS = "ASSIGNED_GROUPS"
    RESPONSIBLE = "RESPONSIBLE"
    DEADLINE = "DEADLINE"
    TYPE = "TYPE"
    PRIORITY = "PRIORITY"
    STATUS = "STATUS"
    SEND_CONFIRMATION = "SEND_CONFIRMATION"
    VISIBLE_IN_PORTAL = "VISIBLE_IN_PORTAL"
    LOCATION = "LOCATION"
    COLOR = "COLOR"


# Each field's name in RegisterCaseInput, which is also the path of its userErrors.
INPUT_NAME: dict[CaseField, str] = {
    CaseField.TITLE: "title",
    CaseField.DESCRIPTION: "description",
    CaseField.CUSTOMER: "customerId",
    CaseField.CONTACT: "contactId",
    CaseField.OBJECT: "objectId",
    CaseField.ASSIGNED_USERS: "assignedUserIds",
    CaseField.ASSIGNED_GROUPS: "assignedGroupIds",
    CaseField.RESPONSIBLE: "responsibleId",
    CaseField.DEADLINE: "deadline",
    CaseField.TYPE: "typeId",
    CaseField.PRIORITY: "priorityId",
    CaseField.STATUS: "statusId",
    CaseField.SEND_CONFIRMATION: "sendConfirmation",
    CaseField.VISIBLE_IN_PORTAL: "visibleInPortal",
    CaseField.LOCATION: "location",
    CaseField.COLOR: "color",
}

# Fields whose value (and default) is the id of a row, or a list of them.
ID_FIELDS: dict[CaseField, type[Base]] = {
    CaseField.CUSTOMER: Customer,
    CaseField.CONTACT: Contact,
    CaseField.OBJECT: CaseObject,
    CaseField.RESPONSIBLE: User,
    CaseField.TYPE: CaseType,
    CaseField.PRIORITY: CasePriority,
    CaseField.STATUS: CaseStatus,
}
ID_LIST_FIELDS: dict[CaseField, type[Base]] = {
    CaseField.ASSIGNED_USERS: User,
    CaseField.ASSIGNED_GROUPS: Group,
}
BOOLEAN_FIELDS = frozenset({CaseField.SEND_CONFIRMATION, CaseField.VISIBLE_IN_PORTAL})

# Shown and optional unless listed here.
_REQUIRED_BY_DEFAULT = {CaseField.TITLE, CaseField.STATUS}


@dataclass(frozen=True)
class FieldSetting:
    visible: bool = True
    required: bool = False
    default: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"visible": self.visible, "required": self.required, "default": self.default}


@dataclass(frozen=True)
class Tabs:
    events: bool = True
    customer_conversations: bool = True
    tasks: bool = True
    forms: bool = True


@dataclass(frozen=True)
class ModuleSettings:
    fields: dict[CaseField, FieldSetting]
    tabs: Tabs
    sms_enabled: bool
    reminder_lead_minutes: int

    def visible(self, field: CaseField) -> bool:
        return self.fields[field].visible

    def required(self, field: CaseField) -> bool:
        setting = self.fields[field]
        return setting.visible and setting.required

    @classmethod
    def from_row(cls, row: CaseModuleSettingsRow | None) -> ModuleSettings:
        stored: dict[str, Any] = row.fields if row is not None else {}
        fields = {}
        for field in CaseField:
            raw = stored.get(field.value) or {}
            fields[field] = FieldSetting(
                visible=bool(raw.get("visible", True)),
                required=bool(raw.get("required", field in _REQUIRED_BY_DEFAULT)),
                default=raw.get("default"),
            )
        if row is None:
            return cls(fields=fields, tabs=Tabs(), sms_enabled=False, reminder_lead_minutes=60)
        return cls(
            fields=fields,
            tabs=Tabs(
                events=row.tab_events,
                customer_conversations=row.tab_customer_conversations,
                tasks=row.tab_tasks,
                forms=row.tab_forms,
            ),
            sms_enabled=row.sms_enabled,
            reminder_lead_minutes=row.reminder_lead_minutes,
        )


def tenant_of(session: AsyncSession) -> int:
    tenant_id = session_tenant(session.sync_session)
    if tenant_id is None:
        raise RuntimeError("the case module needs a tenant-scoped session")
    return tenant_id


async def load_settings(session: AsyncSession) -> ModuleSettings:
    """The settings of the session's tenant."""
    row = await session.get(CaseModuleSettingsRow, tenant_of(session))
    return ModuleSettings.from_row(row)


def default_fields() -> dict[str, dict[str, Any]]:
    return {f.value: FieldSetting(required=f in _REQUIRED_BY_DEFAULT).to_json() for f in CaseField}


_STATUSES = [
    ("Ny", "#2f80ed", False),
    ("Pågående", "#f2994a", False),
    ("Väntar på kund", "#9b51e0", False),
    ("Avslutad", "#27ae60", True),
]
_PRIORITIES = [("Låg", "#6fcf97"), ("Normal", "#56ccf2"), ("Hög", "#f2c94c"), ("Akut", "#eb5757")]
_TYPES = ["Felanmälan", "Service", "Offert", "Reklamation", "Internt"]


async def seed_defaults(session: AsyncSession, tenant_id: int) -> None:
    """Sensible settings for a new tenant: Swedish statuses, priorities and case types."""
    statuses = [
        CaseStatus(tenant_id=tenant_id, name=name, color=color, order=i, closed=closed)
        for i, (name, color, closed) in enumerate(_STATUSES)
    ]
    priorities = [
        CasePriority(tenant_id=tenant_id, name=name, color=color, order=i)
        for i, (name, color) in enumerate(_PRIORITIES)
    ]
    types = [CaseType(tenant_id=tenant_id, name=name, fields=[]) for name in _TYPES]
    session.add_all([*statuses, *priorities, *types])
    await session.flush()
    fields = default_fields()
    fields[CaseField.STATUS]["default"] = str(statuses[0].id)
    fields[CaseField.PRIORITY]["default"] = str(priorities[1].id)
    session.add(CaseModuleSettingsRow(tenant_id=tenant_id, fields=fields))
    await session.flush()
