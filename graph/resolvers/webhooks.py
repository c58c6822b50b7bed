"""Outgoing webhooks: listing, saving, deleting and testing them (administrators only)."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import webhooks
from domain.viewer import Viewer as DomainViewer
from domain.webhooks import WebhookEvent
from graph.context import Context
from graph.ids import our_pk, to_global_id
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.webhook import Webhook, WebhookDelivery

Info = strawberry.Info[Context, None]


@strawberry.input(description="Without an id a new webhook; with one, saved whole.")
class SaveWebhookInput:
    id: strawberry.ID | None = None
    url: str = strawberry.field(
        description="http(s), to a public address (checked when saved and when sent)."
    )
    events: list[WebhookEvent]
    active: bool = True
    secret: str | None = strawberry.field(
        default=None,
        description="Signs the deliveries (16-200 characters). Left out: a new webhook gets "
        "one made, an existing one keeps its own.",
    )


@strawberry.type
class SaveWebhookPayload:
    webhook: Webhook | None = None
    secret: str | None = strawberry.field(
        default=None, description="The secret, only from the save that set it."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.type
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SendTestWebhookInput:
    id: strawberry.ID


@strawberry.type
class SendTestWebhookPayload:
    delivery: WebhookDelivery | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="My tenant's webhooks, oldest first. Administrators only.")
    async def webhooks(self, info: Info) -> list[Webhook]:
        viewer = info.context.staff()
        rows: Sequence[models.Webhook] = await info.context.scope.read(
            lambda session: webhooks.webhooks_of(session, viewer)
        )
        return [Webhook.from_row(row) for row in rows]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="A new webhook (no id) or one saved whole.")
    async def save_webhook(self, info: Info, input: SaveWebhookInput) -> SaveWebhookPayload:
        allow_private = info.context.settings.webhook_allow_private_networks

        async def work(session: AsyncSession, viewer: DomainViewer) -> webhooks.SavedWebhook:
            return await webhooks.save_webhook(
                session,
                viewer,
                id=our_pk(input.id, "Webhook"),
                url=input.url,
                events=input.events,
                active=input.active,
                secret=input.secret,
                allow_private=allow_private,
            )

        outcome = await perform(info, work)
        if outcome.value is None:
            return SaveWebhookPayload(user_errors=outcome.errors)
        return SaveWebhookPayload(
            webhook=Webhook.from_row(outcome.value.webhook), secret=outcome.value.secret
        )

    @strawberry.mutation(description="Deletes a webhook with its deliveries.")
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> int:
            return await webhooks.delete_webhook(session, viewer, our_pk(input.id, "Webhook"))

        outcome = await perform(info, work)
        deleted = strawberry.ID(to_global_id("Webhook", outcome.value)) if outcome.value else None
        return DeleteWebhookPayload(deleted_id=deleted, user_errors=outcome.errors)

    @strawberry.mutation(description="One PING to the webhook, whatever its events and active.")
    async def send_test_webhook(
        self, info: Info, input: SendTestWebhookInput
    ) -> SendTestWebhookPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.OutboxMessage:
            return await webhooks.send_test(session, viewer, our_pk(input.id, "Webhook"))

        outcome = await perform(info, work)
        return SendTestWebhookPayload(
            delivery=WebhookDelivery.maybe(outcome.value), user_errors=outcome.errors
        )
