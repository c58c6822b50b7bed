"""`notificationReceived`: the viewer's own notifications, live, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from db import models
from db.streams import TableStream
from domain import channels
from domain.errors import NotFound
from graph.context import Context
from graph.ids import pk_of
from graph.live.follow import follow
from graph.live.subscriber import Access
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

        rows = follow(
            info.context,
            channels.user_notifications(viewer.tenant_id, user_id),
            TableStream(models.Notification, models.Notification.recipient_id == user_id),
            after=after_pk,
            access=Access(),
            to_payload=Notification.from_row,
        )
        async for payload in rows:
            yield payload
