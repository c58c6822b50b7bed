"""The one shape of every mutation: one transaction, userErrors, publish after commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import UserErrors
from domain.viewer import Viewer
from graph.context import Context, Services
from graph.types.base import UserError, user_errors

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    value: T | None = None
    errors: list[UserError] = field(default_factory=list)


async def perform(
    info: strawberry.Info[Context, None],
    work: Callable[[AsyncSession, Viewer], Awaitable[T]],
    *,
    staff_only: bool = True,
) -> Outcome[T]:
    """Runs `work` in one transaction as the viewer; nothing is written on a UserError."""
    context = info.context
    viewer = context.staff() if staff_only else context.signed_in()
    try:
        value = await commit_then_publish(context.services, viewer, work)
    except UserErrors as error:
        return Outcome(errors=user_errors(error.errors))
    return Outcome(value=value)


async def commit_then_publish(
    services: Services, viewer: Viewer, work: Callable[[AsyncSession, Viewer], Awaitable[T]]
) -> T:
    """Runs `work` in one transaction; its announcements go out only once it has committed."""
    async with services.bus.publishing(services.db, viewer.tenant_id) as session:
        value = await work(session, viewer)
    return value
