"""An SMS sent through the outbox, and how far its delivery has got."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from db import models
from db.pagination import SortKey
from domain.outbox import Channel, DeliveryStatus, delivery_status
from graph.connections import connection_under
from graph.ids import to_global_id
from graph.types.base import Connection, Node
from graph.types.user import User


@strawberry.type(description="One SMS to one number; follow its delivery with node(id).")
class SmsMessage(Node):
    recipient_name: str
    phone_number: str = strawberry.field(description="E.164, e.g. +46701234567.")
    body: str
    created_at: datetime
    delivery_status: DeliveryStatus
    sent_by_pk: strawberry.Private[int | None]

    @strawberry.field(description="The staff user who sent it.")
    async def sent_by(self, info: strawberry.Info) -> User | None:
        if self.sent_by_pk is None:
            return None
        row = await info.context.scope.loaders.by_id(models.User).load(self.sent_by_pk)
        return User.from_row(row) if row else None

    @classmethod
    def maybe(cls, row: models.OutboxMessage | None) -> SmsMessage | None:
        """The SMS of an outbox row; None for any row that is not an SMS."""
        if row is None or row.channel != Channel.SMS:
            return None
        return cls(
            id=strawberry.ID(to_global_id("SmsMessage", row.id)),
            recipient_name=str(row.headers.get("recipient_name", "")),
            phone_number=row.recipient,
            body=row.body,
            created_at=row.created_at,
            delivery_status=delivery_status(row.status),
            sent_by_pk=row.sent_by_id,
        )


async def case_sms_messages(
    info: strawberry.Info, case: models.Case, first: int | None, after: str | None
) -> Connection[SmsMessage]:
    """The SMS sent on a case, oldest first."""
    outbox = models.OutboxMessage
    # The outbox is not scoped by the session (the senders read it system-wide): the
    # tenant is named here.
    statement = select(outbox, outbox.id).where(
        outbox.tenant_id == case.tenant_id, outbox.channel == Channel.SMS.value
    )

    def to_node(row: models.OutboxMessage) -> SmsMessage:
        sms = SmsMessage.maybe(row)
        assert sms is not None
        return sms

    return await connection_under(
        info,
        ("Case.smsMessages", case.tenant_id),
        outbox.case_id,
        case.id,
        statement,
        [SortKey(outbox.id)],
        to_node,
        first=first,
        after=after,
    )
