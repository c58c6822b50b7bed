"""Mutations that may answer "this e-mail address is taken", within a limit per tenant and viewer.

Addresses are unique across tenants, so that answer hints that someone elsewhere uses the
address. Each mutation reserves room for the answer before it looks, and gives the room
back unless the answer was given: past the limit every such mutation is refused, whatever
its address, so the refusal tells nothing either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from domain.unique_emails import TAKEN_ANSWERS
from graph.context import Context
from graph.errors import rate_limited
from graph.resolvers.mutation import Outcome
from graph.throttle import Throttled

T = TypeVar("T")


async def within_taken_email_limit(
    info: strawberry.Info[Context, None], mutation: Callable[[], Awaitable[Outcome[T]]]
) -> Outcome[T]:
    context = info.context
    throttle = context.services.throttle
    try:
        reservation = await throttle.reserve_taken_email_answer(context.staff())
    except Throttled as error:
        raise rate_limited(error.retry_after, "Too many e-mail addresses in use") from None
    taken = False
    try:
        outcome = await mutation()
        taken = any(e.message in TAKEN_ANSWERS for e in outcome.errors)
        return outcome
    finally:
        if not taken:
            await throttle.release(reservation)
