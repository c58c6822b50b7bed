"""The customer portal's reach: its contact's own customer's cases that are shown there.

`domain.cases.access` decides for one case; this is the same rule as a condition for lists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case
from domain.cases.access import visible_case
from domain.errors import NotAllowed
from domain.viewer import Viewer


def _customer_of(viewer: Viewer) -> int:
    if viewer.is_staff or viewer.customer_id is None:
        raise NotAllowed("Only a customer-portal contact may do this.")
    return viewer.customer_id


def visible_cases(viewer: Viewer) -> ColumnElement[bool]:
    """The condition on `Case` for the cases this contact may see."""
    return and_(Case.customer_id == _customer_of(viewer), Case.visible_in_portal.is_(True))


async def portal_case(session: AsyncSession, viewer: Viewer, case_id: int | None) -> Case | None:
    """The case when this contact may see it, else None (absent, hidden or another's)."""
    _customer_of(viewer)
    return await visible_case(session, viewer, case_id)
