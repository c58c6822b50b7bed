"""An SMS sent through the outbox, and how far its delivery has got."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db import models
from domain.outbox import Channel, DeliveryStatus, delivery_status
from graph.ids import to_global_id
from graph.types.base import Node


@strawberry.type(description="One SMS to one number; follow its delivery with node(id).")
class SmsMessage(Node):
    recipient_name: str
    phone_number: str = strawberry.field(description="E.164, e.g. +46701234567.")
    body: str
    created_at: datetime
    delivery_status: DeliveryStatus

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
        )
