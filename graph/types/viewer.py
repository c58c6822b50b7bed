"""The signed-in viewer: a staff user or a portal contact, with the lobby's notifications."""

from __future__ import annotations

import strawberry

from domain.viewer import Viewer as DomainViewer
from domain.viewer import ViewerKind
from graph.resolvers.notifications import viewer_notifications, viewer_unread_count
from graph.types.base import Connection
from graph.types.customer import Contact
from graph.types.notification import Notification
from graph.types.user import User

strawberry.enum(ViewerKind, name="ViewerKind")


@strawberry.type
class Viewer:
    kind: ViewerKind
    user: User | None
    contact: Contact | None
    domain: strawberry.Private[DomainViewer]

    @strawberry.field(description="My unread notifications; always 0 for a portal contact.")
    async def unread_notification_count(self, info: strawberry.Info) -> int:
        if self.domain.user_id is None:
            return 0
        return await viewer_unread_count(info, self.domain.user_id)

    @strawberry.field(description="My notifications, newest first (staff only).")
    async def notifications(
        self,
        info: strawberry.Info,
        unread_only: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        user_id = self.domain.staff_user_id
        return await viewer_notifications(info, user_id, unread_only, first, after)
