"""The case module's settings per tenant: registration fields, dropdown options, tabs."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CaseModuleSettingsRow, CasePriority, CaseStatus, CaseType


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


# Shown and optional unless listed here.
_REQUIRED_BY_DEFAULT = {CaseField.TITLE, CaseField.STATUS}


def default_fields() -> dict[str, dict[str, Any]]:
    return {
        f.value: {"visible": True, "required": f in _REQUIRED_BY_DEFAULT, "default": None}
        for f in CaseField
    }


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
