"""Sending SMS, on a case or to chosen staff."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import sms
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.sms import SmsMessage

Info = strawberry.Info[Context, None]


@strawberry.input
class SendSmsInput:
    case_id: strawberry.ID | None = strawberry.field(
        default=None, description="On a case: to its contact unless recipients are chosen."
    )
    user_ids: list[strawberry.ID] | None = None
    contact_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Contacts of the case's customer; only on a case."
    )
    body: str


@strawberry.type
class SendSmsPayload:
    messages: list[SmsMessage] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SmsMutation:
    @strawberry.mutation(description="SMS through the outbox, when SMS is turned on.")
    async def send_sms(self, info: Info, input: SendSmsInput) -> SendSmsPayload:
        request = sms.SmsRequest(
            body=input.body,
            case_id=pk_of(input.case_id, "Case"),
            on_case=input.case_id is not None,
            user_ids=[pk_of(i, "User") for i in input.user_ids or []],
            contact_ids=[pk_of(i, "Contact") for i in input.contact_ids or []],
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> list[models.OutboxMessage]:
            return await sms.send_sms(session, viewer, request)

        outcome = await perform(info, work)
        messages = [m for m in map(SmsMessage.maybe, outcome.value or []) if m is not None]
        return SendSmsPayload(messages=messages, user_errors=outcome.errors)
