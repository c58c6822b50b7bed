"""Taking customer-portal access away from a contact (staff)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import portal_access
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.customer import Contact

Info = strawberry.Info[Context, None]


@strawberry.input
class DisablePortalAccessInput:
    contact_id: strawberry.ID


@strawberry.type
class DisablePortalAccessPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PortalAccessMutation:
    @strawberry.mutation(
        description="Ends a contact's portal access: no more sign-in, every session revoked."
    )
    async def disable_portal_access(
        self, info: Info, input: DisablePortalAccessInput
    ) -> DisablePortalAccessPayload:
        async def work(session: AsyncSession, _viewer: DomainViewer) -> models.Contact:
            return await portal_access.disable_portal_access(
                session, contact_id=pk_of(input.contact_id, "Contact")
            )

        outcome = await perform(info, work)
        contact = Contact.from_row(outcome.value) if outcome.value else None
        return DisablePortalAccessPayload(contact=contact, user_errors=outcome.errors)
