"""Sign-in, sign-out and the viewer."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from db import models
from domain import signin
from domain.errors import UserErrors
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.errors import rate_limited
from graph.resolvers.mutation import commit_then_publish, perform
from graph.throttle import Throttled
from graph.types.base import UserError, user_errors
from graph.types.customer import Contact
from graph.types.user import User
from graph.types.viewer import Viewer

Info = strawberry.Info[Context, None]


@strawberry.type
class LoginPayload:
    token: str | None = None
    viewer: Viewer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangePasswordPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def throttled(context: Context, error: Throttled) -> GraphQLError:
    """RATE_LIMITED; over HTTP the response also carries `Retry-After` (seconds)."""
    if isinstance(context.response, Response):
        context.response.headers["Retry-After"] = str(error.retry_after)
    return rate_limited(error.retry_after)


async def viewer_object(info: Info, viewer: DomainViewer) -> Viewer:
    loaders = info.context.scope.loaders
    user = contact = None
    if viewer.user_id is not None:
        user_row = await loaders.by_id(models.User).load(viewer.user_id)
        user = User.from_row(user_row) if user_row else None
    if viewer.contact_id is not None:
        contact_row = await loaders.by_id(models.Contact).load(viewer.contact_id)
        contact = Contact.from_row(contact_row) if contact_row else None
    return Viewer(kind=viewer.kind, user=user, contact=contact, domain=viewer)


async def _sign_in(info: Info, email: str, password: str, *, portal: bool) -> LoginPayload:
    context = info.context
    lifetime = timedelta(days=context.settings.token_lifetime_days)
    do = signin.portal_login if portal else signin.login
    throttle = context.services.throttle

    try:
        guess = await throttle.reserve_guess(email, context.client_address)
    except Throttled as error:
        raise throttled(context, error) from None
    try:
        async with context.db.transaction(None) as session:
            token, viewer = await do(session, email, password, lifetime)
    except UserErrors as error:
        # The reservation stays: it is this failure's place in the count.
        return LoginPayload(user_errors=user_errors(error.errors))
    await throttle.succeeded(email, guess)
    # The payload is read in the new viewer's tenant (the request itself stays anonymous).
    context.scope.switch_tenant(viewer.tenant_id)
    return LoginPayload(token=token, viewer=await viewer_object(info, viewer))


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Who is signed in: a staff user or a portal contact.")
    async def viewer(self, info: Info) -> Viewer:
        return await viewer_object(info, info.context.signed_in())


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Staff sign-in with e-mail and password.")
    async def login(self, info: Info, email: str, password: str) -> LoginPayload:
        return await _sign_in(info, email, password, portal=False)

    @strawberry.mutation(description="Customer-portal sign-in for a contact with portal access.")
    async def portal_login(self, info: Info, email: str, password: str) -> LoginPayload:
        return await _sign_in(info, email, password, portal=True)

    @strawberry.mutation(description="Revokes the token this request was made with.")
    async def logout(self, info: Info) -> LogoutPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> None:
            await signin.revoke_token(session, viewer.token_id)

        await commit_then_publish(info.context.services, info.context.signed_in(), work)
        return LogoutPayload(ok=True)

    @strawberry.mutation(
        description="Changes the viewer's password; every other token of the viewer is revoked."
    )
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        viewer = info.context.staff()
        return await change_own_password(info, input, viewer, f"user-{viewer.user_id}")


async def change_own_password(
    info: Info, input: ChangePasswordInput, viewer: DomainViewer, guesser: str
) -> ChangePasswordPayload:
    """A staff user's or portal contact's new password, the current one checked first.

    Guessing the current password is throttled like sign-in, per person (`guesser`) and
    address; every other token of theirs is revoked and its sockets close.
    """
    context = info.context
    throttle = context.services.throttle
    try:
        guess = await throttle.reserve_guess(guesser, context.client_address)
    except Throttled as error:
        raise throttled(context, error) from None

    async def work(session: AsyncSession, viewer: DomainViewer) -> None:
        await signin.change_password(session, viewer, input.current_password, input.new_password)

    outcome = await perform(info, work, staff_only=viewer.is_staff)
    if not any(e.field == ["input", "currentPassword"] for e in outcome.errors):
        await throttle.release(guess)
    return ChangePasswordPayload(ok=not outcome.errors, user_errors=outcome.errors)
