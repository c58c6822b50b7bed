"""Who may see a case: every staff user of its tenant; a contact only their visible cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case
from domain.viewer import Viewer


async def visible_case(session: AsyncSession, viewer: Viewer, case_id: int | None) -> Case | None:
    """The case if this viewer may see it, else None (missing and forbidden look the same)."""
    if case_id is None:
        return None
    case = await session.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        return None
    return case if may_see(viewer, case) else None


def may_see(viewer: Viewer, case: Case) -> bool:
    if case.tenant_id != viewer.tenant_id:
        return False
    if viewer.is_staff:
        return True
    return case.visible_in_portal and case.customer_id == viewer.customer_id
