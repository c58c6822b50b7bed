"""The customer conversation, staff side: writing to the case's customer."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import conversations
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, pk_of
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.conversation import ConversationMessage

Info = strawberry.Info[Context, None]


@strawberry.input(
    description="The message is `body`; without one, the reply template filled in for the case."
)
class SendCustomerMessageInput:
    case_id: strawberry.ID
    body: str | None = None
    template_id: strawberry.ID | None = None


@strawberry.type
class SendCustomerMessagePayload:
    message: ConversationMessage | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConversationMutation:
    @strawberry.mutation(
        description="Writes to the case's contact: stored, and e-mailed with a reply address."
    )
    async def send_customer_message(
        self, info: Info, input: SendCustomerMessageInput
    ) -> SendCustomerMessagePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.ConversationMessage:
            return await conversations.send_customer_message(
                session,
                viewer,
                pk_of(input.case_id, "Case"),
                input.body,
                our_pk(input.template_id, "ReplyTemplate"),
            )

        outcome = await perform(info, work)
        message = ConversationMessage.from_row(outcome.value) if outcome.value else None
        return SendCustomerMessagePayload(message=message, user_errors=outcome.errors)
