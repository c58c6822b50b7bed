"""`notificationReceived`: the viewer's own notifications, live, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import channels, signin
from domain.errors import NotFound
from graph.context import Context
from graph.ids import pk_of
from graph.subscriptions.live import stream_rows
from graph.types.notification import Notification

Info = strawberry.Info[Context, None]


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(description="My notifications as they happen (the lobby).")
    async def notification_received(
        self, info: Info, after: strawberry.ID | None = None
    ) -> AsyncGenerator[Notification, None]:
        viewer = info.context.staff()
        user_id = viewer.staff_user_id
        after_pk = pk_of(after, "Notification") if after is not None else None
        if after is not None and after_pk is None:
            raise NotFound("`after` is not a notification id.")
        mine = models.Notification.recipient_id == user_id

        async def rows_after(
            s: AsyncSession, after_id: int | None, limit: int
        ) -> Sequence[models.Notification]:
            statement = select(models.Notification).where(mine)
            if after_id is not None:
                statement = statement.where(models.Notification.id > after_id)
            return (await s.scalars(statement.order_by(models.Notification.id).limit(limit))).all()

        async def rows_by_id(s: AsyncSession, ids: Sequence[int]) -> Sequence[models.Notification]:
            statement = select(models.Notification).where(mine, models.Notification.id.in_(ids))
            return (await s.scalars(statement.order_by(models.Notification.id))).all()

        async def newest(s: AsyncSession) -> int | None:
            return await s.scalar(select(func.max(models.Notification.id)).where(mine))

        async def still_allowed(s: AsyncSession) -> bool:
            return await signin.token_is_valid(s, viewer.token_id)

        rows = stream_rows(
            info.context,
            channels.user_notifications(viewer.tenant_id, user_id),
            after=after_pk,
            rows_after=rows_after,
            rows_by_id=rows_by_id,
            newest=newest,
            still_allowed=still_allowed,
        )
        async for row in rows:
            yield Notification.from_row(row)
