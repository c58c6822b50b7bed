"""Marking the viewer's notifications read."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domain import notifications
from domain.errors import Problems
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.mutation import perform
from graph.types.base import UserError

Info = strawberry.Info[Context, None]


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool = False


@strawberry.type
class MarkNotificationsReadPayload:
    marked_count: int = 0
    unread_notification_count: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Marks my notifications read: these `ids`, or `all`.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> tuple[int, int]:
            problems = Problems()
            ids: list[int] | None = None
            if not input.all:
                if not input.ids:
                    problems.required("ids", "`ids` or `all: true`")
                else:
                    parsed = [pk_of(i, "Notification") for i in input.ids]
                    ids = [i for i in parsed if i is not None]
                    if len(ids) != len(parsed):
                        problems.not_found("ids", "A notification")
            problems.raise_if_any()
            user_id = viewer.staff_user_id
            marked = await notifications.mark_read(session, user_id, ids)
            return marked, await notifications.unread_count(session, user_id)

        outcome = await perform(info, work)
        if outcome.value is None:
            return MarkNotificationsReadPayload(user_errors=outcome.errors)
        marked, unread = outcome.value
        return MarkNotificationsReadPayload(marked_count=marked, unread_notification_count=unread)
