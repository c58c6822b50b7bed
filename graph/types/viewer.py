"""The signed-in viewer: a staff user or a portal contact, with the lobby's notifications."""

from __future__ import annotations

import strawberry

from domain.notifications import unread_count
from domain.viewer import Viewer as DomainViewer
from domain.viewer import ViewerKind
from graph.types.base import Connection
from graph.types.customer import Contact
from graph.types.notification import Notification, lobby_notifications
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
        user_id = self.domain.user_id
        if user_id is None:
            return 0
        count: int = await info.context.scope.read(lambda s: unread_count(s, user_id))
        return count

    @strawberry.field(description="My notifications, newest first (staff only).")
    async def notifications(
        self,
        info: strawberry.Info,
        unread_only: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        user_id = self.domain.staff_user_id
        return await lobby_notifications(info, user_id, unread_only, first, after)
