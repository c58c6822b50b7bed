"""Creating a tenant with its case-module defaults and first administrator."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Tenant, User
from db.tenancy import TENANT_KEY
from domain import validation
from domain.cases.settings import seed_defaults
from domain.errors import Problems
from domain.people import NewUser, create_user
from domain.viewer import Role


async def create_tenant(
    session: AsyncSession,
    *,
    name: str,
    admin_email: str,
    admin_password: str,
    admin_name: str | None = None,
    admin_handle: str | None = None,
) -> tuple[Tenant, User]:
    """Run on an unscoped session; scopes it to the new tenant for the rows that follow."""
    problems = Problems(prefix=())
    clean_name = validation.text(problems, "name", name, "Tenant name", required=True)
    problems.raise_if_any()
    assert clean_name
    tenant = Tenant(name=clean_name)
    session.add(tenant)
    await session.flush()
    session.info[TENANT_KEY] = tenant.id
    await seed_defaults(session, tenant.id)
    admin = await create_user(
        session,
        NewUser(
            email=admin_email,
            name=admin_name or admin_email.split("@")[0],
            password=admin_password,
            handle=admin_handle,
            role=Role.ADMIN,
        ),
    )
    return tenant, admin
