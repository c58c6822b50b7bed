"""The one place that scopes every query to the viewer's tenant.

A session opened for a tenant carries its id in `session.info`; every ORM SELECT,
UPDATE and DELETE it runs is filtered to that tenant for every `TenantOwned` model,
and every new tenant-owned row it flushes is stamped with (or checked against) it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from db.models.base import TenantOwned

TENANT_KEY = "tenant_id"
# Execution option for the few deliberate system-wide reads (unique e-mails across tenants).
ALL_TENANTS = {"all_tenants": True}


class CrossTenantWrite(RuntimeError):
    """A row of one tenant was about to be written through another tenant's session."""


def session_tenant(session: Session) -> int | None:
    tenant_id = session.info.get(TENANT_KEY)
    return tenant_id if isinstance(tenant_id, int) else None


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    tenant_id = session_tenant(state.session)
    if tenant_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_tenants"):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session_tenant(session)
    if tenant_id is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} of another tenant")
