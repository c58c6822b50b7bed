"""The customer conversation: its messages, their direction and delivery."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db import models
from domain.conversations import Direction, delivery_of
from domain.outbox import DeliveryStatus
from graph.connections import oldest_first_under
from graph.ids import to_global_id
from graph.types.attachment import Attachment
from graph.types.base import Connection, Node

strawberry.enum(Direction, name="MessageDirection")
strawberry.enum(
    DeliveryStatus,
    name="DeliveryStatus",
    description=(
        "PENDING: not yet handed over (queued, being sent, or waiting for a retry). "
        "SENT: accepted by the mail server or SMS provider. FAILED: refused, or every "
        "attempt failed; not tried again. RECEIVED: a message from the customer."
    ),
)


@strawberry.type(description="One message of a case's customer conversation.")
class ConversationMessage(Node):
    body: str
    direction: Direction
    created_at: datetime
    author_name: str = strawberry.field(description="The staff user's or the contact's name.")
    pk: strawberry.Private[int]
    outbox_pk: strawberry.Private[int | None]
    sender: strawberry.Private[tuple[str | None, bool]]

    @strawberry.field(
        description="The address an e-mail reply came from; null for other messages. Staff only."
    )
    def sender_address(self, info: strawberry.Info) -> str | None:
        info.context.staff()
        return self.sender[0]

    @strawberry.field(
        description="An e-mail reply whose sender is not the case's contact (someone else "
        "replied, or the contact wrote from another address). Staff only."
    )
    def from_unknown_sender(self, info: strawberry.Info) -> bool:
        info.context.staff()
        return self.sender[1]

    @strawberry.field
    async def delivery_status(self, info: strawberry.Info) -> DeliveryStatus:
        status = None
        if self.outbox_pk is not None:
            row = await info.context.scope.loaders.outbox_by_id.load(self.outbox_pk)
            status = row.status if row is not None else None
        return delivery_of(self.direction, self.outbox_pk, status)

    @strawberry.field(description="Files sent with the message, oldest first.")
    async def attachments(self, info: strawberry.Info) -> list[Attachment]:
        rows = await info.context.scope.loaders.attachments_by_message_id.load(self.pk)
        return [Attachment.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: models.ConversationMessage) -> ConversationMessage:
        return cls(
            id=strawberry.ID(to_global_id("ConversationMessage", row.id)),
            pk=row.id,
            outbox_pk=row.outbox_id,
            body=row.body,
            direction=Direction(row.direction),
            created_at=row.created_at,
            author_name=row.author_name,
            sender=(row.sender_address, bool(row.from_unknown_sender)),
        )


async def case_messages(
    info: strawberry.Info, case_pk: int, first: int | None, after: str | None
) -> Connection[ConversationMessage]:
    """A case's conversation, oldest first: it reads top-down."""
    message = models.ConversationMessage
    return await oldest_first_under(
        info,
        "Case.messages",
        message,
        message.case_id,
        case_pk,
        ConversationMessage.from_row,
        first=first,
        after=after,
    )
