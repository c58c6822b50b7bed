"""The e-mail that confirms a registered case to its contact."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Contact, OutboxMessage, Tenant
from domain.mail_texts import confirmation_mail
from domain.outbox import queue_email
from domain.reply_addresses import reply_token_of


async def queue_confirmation(session: AsyncSession, case: Case, contact: Contact) -> OutboxMessage:
    assert contact.email
    tenant = await session.get(Tenant, case.tenant_id)
    text = confirmation_mail(
        contact_name=contact.name,
        case_number=case.number,
        case_title=case.title,
        case_description=case.description,
        sender_name=tenant.name if tenant else "",
    )
    return await queue_email(
        session,
        to=contact.email,
        subject=text.subject,
        body=text.body,
        headers={"X-WorkCloud-Case-Number": str(case.number)},
        # "Reply to add something": the reply comes into the case's customer conversation.
        reply_token=await reply_token_of(session, case),
    )
