"""`conversationMessageAdded`: a case's customer conversation, live, for staff and the portal."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from db import models
from domain import channels
from domain.cases.access import visible_case
from domain.conversations import conversations_enabled
from domain.errors import NotAllowed, NotFound
from graph.context import Context
from graph.ids import pk_of
from graph.live.follow import case_rows, follow
from graph.live.subscriber import Access
from graph.types.conversation import ConversationMessage

Info = strawberry.Info[Context, None]


@strawberry.type
class MessageSubscription:
    @strawberry.subscription(
        description=(
            "New messages of a case's customer conversation, both directions. Staff pass a "
            "Case id, portal contacts a PortalCase id; `after` resumes from a message id."
        )
    )
    async def conversation_message_added(
        self, info: Info, case_id: strawberry.ID, after: strawberry.ID | None = None
    ) -> AsyncGenerator[ConversationMessage, None]:
        viewer = info.context.signed_in()
        after_pk = pk_of(after, "ConversationMessage") if after is not None else None
        if after is not None and after_pk is None:
            raise NotFound("`after` is not a conversation message id.")
        case_pk = pk_of(case_id, "Case" if viewer.is_staff else "PortalCase")
        # One rule for both kinds of viewer: staff see their tenant's cases, a contact
        # only its own customer's cases shown in the portal.
        case = await info.context.scope.read(lambda s: visible_case(s, viewer, case_pk))
        if case is None:
            raise NotFound("The case was not found.")
        if case.merged_into_id is not None:
            return  # its stream ended with the merge: complete at once, `after` or not
        if not await info.context.scope.read(conversations_enabled):
            raise NotAllowed("The customer-conversations tab is turned off.")

        rows = follow(
            info.context,
            channels.case_messages(viewer.tenant_id, case.id),
            case_rows(models.ConversationMessage, case.id),
            after=after_pk,
            access=Access(case_id=case.id),
            to_payload=ConversationMessage.from_row,
        )
        async for payload in rows:
            yield payload
