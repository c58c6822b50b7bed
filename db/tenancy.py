"""The one place that scopes every query to the viewer's tenant.

A session opened for a tenant carries its id in `session.info`; every ORM SELECT,
UPDATE and DELETE it runs is filtered to that tenant for every `TenantOwned` model,
and every new tenant-owned row it flushes is stamped with (or checked against) it. A
prepared read (`db/prepared.py`) has the same criterion compiled in, with the tenant a
parameter (`scoped_by_parameter`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, bindparam, event
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


def scoped(statement: Any, tenant_id: int) -> Any:
    """`statement` limited to the tenant's rows of every tenant-owned table it reads, joined
    ones included (in their ON clause)."""
    return statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


# The tenant of a statement compiled once for every tenant: bound when it runs.
TENANT_PARAMETER = "scoped_tenant"
_tenant_parameter = bindparam(TENANT_PARAMETER, type_=BigInteger())


def scoped_by_parameter(statement: Any) -> Any:
    """`scoped`, with the tenant left as the parameter `TENANT_PARAMETER`."""
    return statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == _tenant_parameter,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    tenant_id = session_tenant(state.session)
    if tenant_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_tenants"):
        return
    state.statement = scoped(state.statement, tenant_id)


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
