"""Every tenant keeps an active administrator: the last one cannot be demoted or deactivated.

Two admins demoting each other at once would each see the other still an admin; so whatever
may take an admin away first locks the tenant's row, and they run one after the other,
each counting what the previous one committed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Tenant, User
from domain.cases.settings import tenant_of
from domain.viewer import Role


async def hold_admins(session: AsyncSession) -> None:
    """Locks the tenant's row until commit; call before reading who the admins are."""
    await session.execute(
        select(Tenant.id).where(Tenant.id == tenant_of(session)).with_for_update()
    )


async def is_last_active_admin(session: AsyncSession, user: User) -> bool:
    """Whether taking `user`'s role or activity away would leave the tenant without an admin."""
    if not user.active or user.role != Role.ADMIN.value:
        return False
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)
    )
    return not others
