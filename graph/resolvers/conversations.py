"""The customer conversation, staff side: writing to the case's customer."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from db import models
from domain import conversations
from domain.attachments import StoredFile
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, pk_of
from graph.types.base import UserError
from graph.types.conversation import ConversationMessage
from graph.uploads import perform_with_uploads

Info = strawberry.Info[Context, None]


@strawberry.input(
    description="The message is `body`; without one, the reply template filled in for the case."
)
class SendCustomerMessageInput:
    case_id: strawberry.ID
    body: str | None = None
    template_id: strawberry.ID | None = None
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="Files for the customer: sent with the e-mail, in the portal."
    )


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
        async def work(
            session: AsyncSession, viewer: DomainViewer, files: list[StoredFile]
        ) -> models.ConversationMessage:
            return await conversations.send_customer_message(
                session,
                viewer,
                pk_of(input.case_id, "Case"),
                input.body,
                our_pk(input.template_id, "ReplyTemplate"),
                files,
            )

        outcome = await perform_with_uploads(info, input.attachments, "attachments", work)
        message = ConversationMessage.from_row(outcome.value) if outcome.value else None
        return SendCustomerMessagePayload(message=message, user_errors=outcome.errors)
