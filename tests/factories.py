"""Set-up rows stored directly, the way the product stores them, for steps under test elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from db.models import (
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseModuleSettingsRow,
    CaseStatus,
)
from db.models import (
    Tenant as TenantRow,
)
from graph.ids import parse_global_id, to_global_id
from tests.client import Tenant


def pk(global_id: str) -> int:
    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    return parsed[1]


async def insert_case(
    tenant: Tenant,
    *,
    title: str = "Läckande element i trapphuset",
    customer: dict[str, Any] | None = None,
    contact: dict[str, Any] | None = None,
    visible_in_portal: bool = True,
    responsible: dict[str, Any] | None = None,
    assignees: Sequence[dict[str, Any]] = (),
    groups: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A case of `tenant` with its default (first) status; returns its staff id and number."""
    async with tenant.api.db.transaction(tenant.pk) as session:
        owner = await session.get(TenantRow, tenant.pk)
        assert owner is not None
        owner.last_case_number += 1
        status = await session.scalar(select(CaseStatus).order_by(CaseStatus.order).limit(1))
        assert status is not None
        case = Case(
            number=owner.last_case_number,
            title=title,
            customer_id=pk(customer["id"]) if customer else None,
            contact_id=pk(contact["id"]) if contact else None,
            responsible_id=pk(responsible["id"]) if responsible else None,
            status_id=status.id,
            visible_in_portal=visible_in_portal,
        )
        session.add(case)
        await session.flush()
        session.add_all(CaseAssignedUser(case_id=case.id, user_id=pk(u["id"])) for u in assignees)
        session.add_all(CaseAssignedGroup(case_id=case.id, group_id=pk(g["id"])) for g in groups)
    return {"id": to_global_id("Case", case.id), "pk": case.id, "number": case.number}


async def set_customer_conversations(tenant: Tenant, enabled: bool) -> None:
    async with tenant.api.db.transaction(tenant.pk) as session:
        await session.execute(
            update(CaseModuleSettingsRow)
            .where(CaseModuleSettingsRow.tenant_id == tenant.pk)
            .values(tab_customer_conversations=enabled)
        )


async def set_sms_enabled(tenant: Tenant, enabled: bool) -> None:
    async with tenant.api.db.transaction(tenant.pk) as session:
        await session.execute(
            update(CaseModuleSettingsRow)
            .where(CaseModuleSettingsRow.tenant_id == tenant.pk)
            .values(sms_enabled=enabled)
        )
