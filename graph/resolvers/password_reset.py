"""Forgotten passwords: `requestPasswordReset` mails a link, `resetPassword` uses it.

Both are open to anonymous callers (and to staff; the portal gets FORBIDDEN, see
graph/access.py). A request counts like a failed sign-in for its e-mail and address.
"""

from __future__ import annotations

import asyncio
import time

import strawberry

from domain import password_resets
from domain.errors import UserErrors
from domain.passwords import hash_password
from graph.context import Context, Services
from graph.errors import rate_limited
from graph.throttle import Throttled
from graph.types.base import UserError, user_errors

Info = strawberry.Info[Context, None]

# A request is answered no sooner than this after it arrived, whether or not the address
# is anyone's: the mail's extra writes must not show in the time the answer takes.
ANSWER_AFTER_SECONDS = 0.25


@strawberry.input
class RequestPasswordResetInput:
    email: str
    portal: bool = False


@strawberry.type
class RequestPasswordResetPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str


@strawberry.type
class ResetPasswordPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _mail_link(services: Services, email: str, *, portal: bool) -> None:
    settings = services.settings
    token = password_resets.new_token()
    link = password_resets.reset_link(settings.public_url, token, portal=portal)
    async with services.db.session(None) as session:
        recipient = await password_resets.find_recipient(session, email, portal=portal)
    if recipient is None:
        return
    async with services.bus.publishing(services.db, recipient.tenant_id) as session:
        await password_resets.mail_reset_link(
            session, recipient, token, link=link, minutes=settings.password_reset_minutes
        )


async def _reset(services: Services, token: str, new_password: str) -> None:
    async with services.db.session(None) as session:
        reset = await password_resets.check_reset(session, token, new_password)
    new_hash = await asyncio.to_thread(hash_password, new_password)
    async with services.bus.publishing(services.db, reset.tenant_id) as session:
        await password_resets.reset_password(session, reset.id, new_hash)


@strawberry.type
class PasswordResetMutation:
    @strawberry.mutation(
        description="Mails a link for choosing a new password to an active user (or, with "
        "`portal: true`, a contact with portal access); answers alike for every address."
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        context = info.context
        started = time.monotonic()
        try:
            # Kept, never given back: every request counts like a failed sign-in.
            await context.services.throttle.reserve_guess(input.email, context.client_address)
        except Throttled as error:
            raise rate_limited(error.retry_after, "Too many attempts") from None
        await _mail_link(context.services, input.email, portal=input.portal)
        await asyncio.sleep(max(0.0, started + ANSWER_AFTER_SECONDS - time.monotonic()))
        return RequestPasswordResetPayload()

    @strawberry.mutation(
        description="Sets a new password with a reset link's token; every sign-in of that "
        "person ends."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        try:
            await _reset(info.context.services, input.token, input.new_password)
        except UserErrors as error:
            return ResetPasswordPayload(ok=False, user_errors=user_errors(error.errors))
        return ResetPasswordPayload(ok=True)
