"""My own profile: what any staff user may change about themself."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.user_changes import UserChanges, change_user
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.resolvers.mutation import perform
from graph.types.base import NOT_SENT, UserError, sent
from graph.types.user import User

Info = strawberry.Info[Context, None]


@strawberry.input(description="Only the fields sent change; null clears the phone number.")
class UpdateMyProfileInput:
    name: str | None = NOT_SENT
    phone: str | None = NOT_SENT
    handle: str | None = NOT_SENT
    email_on_mention: bool | None = NOT_SENT
    email_on_assignment: bool | None = NOT_SENT


@strawberry.type
class UpdateMyProfilePayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Changes my own name, phone, handle and e-mail settings.")
    async def update_my_profile(
        self, info: Info, input: UpdateMyProfileInput
    ) -> UpdateMyProfilePayload:
        changes = UserChanges(
            name=sent(input.name),
            phone=sent(input.phone),
            handle=sent(input.handle),
            email_on_mention=sent(input.email_on_mention),
            email_on_assignment=sent(input.email_on_assignment),
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.User:
            return await change_user(session, viewer.staff_user_id, changes)

        outcome = await perform(info, work)
        user = User.from_row(outcome.value) if outcome.value else None
        return UpdateMyProfilePayload(user=user, user_errors=outcome.errors)
