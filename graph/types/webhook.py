"""Outgoing webhooks and their deliveries (administrators only)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from db import models
from db.pagination import SortKey
from domain.outbox import Channel, DeliveryStatus, delivery_status
from domain.webhooks import WebhookEvent
from graph.connections import connection_under
from graph.ids import to_global_id
from graph.types.base import Connection, Node

strawberry.enum(
    WebhookEvent,
    name="WebhookEvent",
    description="What a webhook is told of. PING: only sendTestWebhook's, to any webhook.",
)


@strawberry.type(description="One event's POST to one webhook, with every attempt at it.")
class WebhookDelivery(Node):
    event: WebhookEvent
    status: DeliveryStatus = strawberry.field(
        description="PENDING (queued, being sent, waiting for a retry), SENT (answered 2xx) "
        "or FAILED (refused, or every attempt failed)."
    )
    attempts: int
    response_status: int | None = strawberry.field(
        description="The HTTP status of the last attempt's answer; null when none came."
    )
    created_at: datetime
    delivered_at: datetime | None = strawberry.field(description="When it was SENT.")

    @classmethod
    def maybe(cls, row: models.OutboxMessage | None) -> WebhookDelivery | None:
        """The delivery of an outbox row; None for any row that is not one."""
        if row is None or row.channel != Channel.WEBHOOK or row.subject is None:
            return None
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
            event=WebhookEvent(row.subject),
            status=delivery_status(row.status),
            attempts=row.attempts,
            response_status=row.response_status,
            created_at=row.created_at,
            delivered_at=row.sent_at,
        )


@strawberry.type(description="An endpoint that receives the tenant's events, signed.")
class Webhook(Node):
    url: str
    events: list[WebhookEvent]
    active: bool
    pk: strawberry.Private[int]
    tenant_pk: strawberry.Private[int]

    @strawberry.field(description="Newest first.")
    async def deliveries(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        outbox = models.OutboxMessage
        # The outbox is not scoped by the session (the senders read it system-wide): the
        # tenant is named here.
        statement = select(outbox, outbox.id).where(
            outbox.tenant_id == self.tenant_pk, outbox.channel == Channel.WEBHOOK.value
        )

        def to_node(row: models.OutboxMessage) -> WebhookDelivery:
            delivery = WebhookDelivery.maybe(row)
            assert delivery is not None
            return delivery

        return await connection_under(
            info,
            ("Webhook.deliveries", self.tenant_pk),
            outbox.webhook_id,
            self.pk,
            statement,
            [SortKey(outbox.id, descending=True, nullable=False)],
            to_node,
            first=first,
            after=after,
        )

    @classmethod
    def from_row(cls, row: models.Webhook) -> Webhook:
        return cls(
            id=strawberry.ID(to_global_id("Webhook", row.id)),
            url=row.url,
            events=[WebhookEvent(e) for e in row.events],
            active=row.active,
            pk=row.id,
            tenant_pk=row.tenant_id,
        )
