"""Lobby notifications: mentions, assignments, deadline reminders, customer messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import Select, select

from db import models
from db.pagination import SortKey
from domain.deadline_reminders import ReminderPhase, reminder_phase
from domain.notifications import NotificationKind
from domain.sla.alerts import sla_target
from domain.sla.case_targets import SlaTarget
from graph.connections import connection
from graph.ids import to_global_id
from graph.types.base import Connection, Node
from graph.types.case import Case, Comment
from graph.types.conversation import ConversationMessage
from graph.types.user import User

strawberry.enum(NotificationKind, name="NotificationKind")
strawberry.enum(
    ReminderPhase,
    name="ReminderPhase",
    description="BEFORE: the deadline came within reminderLeadMinutes. DUE: it passed.",
)


@strawberry.type
class Notification(Node):
    kind: NotificationKind
    created_at: datetime
    read_at: datetime | None
    reminder_phase: ReminderPhase | None = strawberry.field(
        description="Which deadline reminder this is; null for every other kind."
    )
    sla_target: SlaTarget | None = strawberry.field(
        description="The target an SLA warning or breach is about; null for every other kind."
    )
    pk: strawberry.Private[int]
    actor_pk: strawberry.Private[int | None]
    case_pk: strawberry.Private[int | None]
    comment_pk: strawberry.Private[int | None]
    message_pk: strawberry.Private[int | None]

    @strawberry.field
    async def actor(self, info: strawberry.Info) -> User | None:
        if self.actor_pk is None:
            return None
        row = await info.context.scope.loaders.by_id(models.User).load(self.actor_pk)
        return User.from_row(row) if row else None

    @strawberry.field
    async def case(self, info: strawberry.Info) -> Case | None:
        if self.case_pk is None:
            return None
        row = await info.context.scope.loaders.by_id(models.Case).load(self.case_pk)
        return Case.from_row(row) if row else None

    @strawberry.field
    async def comment(self, info: strawberry.Info) -> Comment | None:
        if self.comment_pk is None:
            return None
        row = await info.context.scope.loaders.by_id(models.Comment).load(self.comment_pk)
        return Comment.from_row(row) if row else None

    @strawberry.field
    async def message(self, info: strawberry.Info) -> ConversationMessage | None:
        if self.message_pk is None:
            return None
        loader = info.context.scope.loaders.by_id(models.ConversationMessage)
        row = await loader.load(self.message_pk)
        return ConversationMessage.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: models.Notification) -> Notification:
        return cls(
            id=strawberry.ID(to_global_id("Notification", row.id)),
            pk=row.id,
            kind=NotificationKind(row.kind),
            created_at=row.created_at,
            read_at=row.read_at,
            reminder_phase=reminder_phase(row.kind, row.dedupe_key),
            sla_target=sla_target(row.kind, row.dedupe_key),
            actor_pk=row.actor_id,
            case_pk=row.case_id,
            comment_pk=row.comment_id,
            message_pk=row.message_id,
        )


async def lobby_notifications(
    info: strawberry.Info, user_id: int, unread_only: bool, first: int | None, after: str | None
) -> Connection[Notification]:
    """A user's notifications, newest first: the lobby reads top-down from the latest."""
    statement, keys = lobby_query(user_id, unread_only)
    return await connection(info, statement, keys, Notification.from_row, first=first, after=after)


def lobby_query(user_id: int, unread_only: bool) -> tuple[Select[*tuple[Any, ...]], list[SortKey]]:
    """The statement and sort keys of a user's notifications."""
    statement = select(models.Notification, models.Notification.id).where(
        models.Notification.recipient_id == user_id
    )
    if unread_only:
        statement = statement.where(models.Notification.read_at.is_(None))
    return statement, [SortKey(models.Notification.id, descending=True)]
